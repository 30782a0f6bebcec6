#!/usr/bin/python3
"""peer.py - a hostile host on netcheck's peer port (tests/vpc/hostile).

Both halves of a peer, played by something that is not netcheck:

  --listen ADDRESS:PORT   accepts connections on the peer port and plays MODE to each
  --connect ADDRESS:PORT  keeps connecting to another host's peer port and plays MODE there
                          (one new connection every --interval seconds, MAX_PAR at a time;
                          repeatable: one such loop per target)

Modes:
  flood    sends random bytes as fast as the other side reads them (and reads nothing)
  silent   sends nothing and reads nothing: the connection just stays open

Bounded: each connection lives at most CONN_SEC and sends at most MAX_BYTES; at most MAX_CONN
connections in all per listener and per target, MAX_PAR at a time for each; the process exits
after LIFETIME seconds. One log line per connection.

Usage: peer.py --mode flood|silent --lifetime SEC [--listen ADDRESS:PORT]
               [--connect ADDRESS:PORT]... [--interval SEC] [--max-conn N] [--max-par N]
               [--conn-sec SEC] [--max-bytes N]
"""

import argparse
import os
import socket
import sys
import threading
import time


def log(msg):
    sys.stdout.write("peer.py: %s\n" % msg)
    sys.stdout.flush()


def play(sock, what, args, stop):
    end = time.monotonic() + args.conn_sec
    sent = 0
    try:
        sock.settimeout(1.0)
        if args.mode == "flood":
            junk = os.urandom(65536)
            while not stop.is_set() and time.monotonic() < end and sent < args.max_bytes:
                try:
                    sent += sock.send(junk)
                except socket.timeout:
                    continue
        else:
            # Hold the connection; notice when the other side closes (without reading its data
            # into anything: recv with MSG_PEEK leaves it queued, like a process that never reads).
            while not stop.is_set() and time.monotonic() < end:
                try:
                    if sock.recv(1, socket.MSG_PEEK) == b"":
                        break
                    stop.wait(0.5)
                except socket.timeout:
                    continue
    except OSError as e:
        what += " (%s)" % e.__class__.__name__
    finally:
        sock.close()
        log("closed %s after %d bytes sent" % (what, sent))


def split(spec):
    addr, port = spec.rsplit(":", 1)
    return addr, int(port)


def listen_half(args, stop, slots):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(split(args.listen))
    srv.listen(16)
    srv.settimeout(0.5)
    log("listening on %s (%s)" % (args.listen, args.mode))
    served = 0
    while not stop.is_set():
        try:
            sock, peer = srv.accept()
        except socket.timeout:
            continue
        served += 1
        if served > args.max_conn or not slots.acquire(blocking=False):
            log("refused %s:%d (connection limit)" % peer)
            sock.close()
            continue
        log("accepted %s:%d" % peer)

        def run(s=sock, p=peer):
            try:
                play(s, "inbound %s:%d" % p, args, stop)
            finally:
                slots.release()

        threading.Thread(target=run, daemon=True).start()
    srv.close()


def connect_half(args, spec, stop, slots):
    target = split(spec)
    log("connecting to %s (%s)" % (spec, args.mode))
    made = 0
    while not stop.is_set() and made < args.max_conn:
        stop.wait(args.interval)
        if not slots.acquire(blocking=False):
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(1.0)
        try:
            s.connect(target)
        except OSError:
            s.close()
            slots.release()
            continue
        made += 1

        def run(sock=s, n=made):
            try:
                play(sock, "outbound #%d to %s" % (n, spec), args, stop)
            finally:
                slots.release()

        threading.Thread(target=run, daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("flood", "silent"), required=True)
    ap.add_argument("--lifetime", type=float, required=True)
    ap.add_argument("--listen")
    ap.add_argument("--connect", action="append", default=[])
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--max-conn", type=int, default=500)
    ap.add_argument("--max-par", type=int, default=32)
    ap.add_argument("--conn-sec", type=float, default=30.0)
    ap.add_argument("--max-bytes", type=int, default=512 * 1024 * 1024)
    args = ap.parse_args()
    if not args.listen and not args.connect:
        ap.error("--listen, --connect or both")
    stop = threading.Event()
    if args.listen:
        threading.Thread(target=listen_half, args=(args, stop, threading.Semaphore(args.max_par)),
                         daemon=True).start()
    for spec in args.connect:
        threading.Thread(target=connect_half,
                         args=(args, spec, stop, threading.Semaphore(args.max_par)),
                         daemon=True).start()
    stop.wait(args.lifetime)
    stop.set()
    time.sleep(0.6)


if __name__ == "__main__":
    main()
