#!/usr/bin/python3
"""s3front.py - hostile stand-ins for the S3 front of the emulated VPC (tests/vpc/hostile).

Each LISTEN argument is ADDRESS:PORT:MODE; one thread per connection plays MODE:

  drip_tcp         plain TCP: reads the ClientHello, then drips the start of a TLS ServerHello,
                   one byte a second, forever (the handshake never completes)
  drip_http        completes TLS (test CA certificate), reads the request, then drips an HTTP
                   response head one byte a second, forever (the status line is never finished)
  drip_headers     TLS, then "200 OK" and one header at once, then one more header byte a second
                   (the status is known, the head never ends)
  drip_body        TLS, then a complete "200 OK" head with Content-Length: 8192 (under any body
                   cap), then the body one byte a second (a HEAD is answered in full; a GET never
                   ends)
  endless_chunked  TLS, then "200 OK" with Transfer-Encoding: chunked and chunks without end
  endless_close    TLS, then "200 OK" without Content-Length (close-delimited) and bytes without end
  headers_many     TLS, then "200 OK" followed by 1 MiB of headers (1024 lines of 1 KiB)
  headers_line     TLS, then "200 OK" followed by one header line of 1 MiB
  garbage          plain TCP: random bytes from the first moment (no TLS at all)
  garbage_record   plain TCP: reads the ClientHello, answers a TLS record header (handshake,
                   16 KiB) whose content is random bytes, then more random bytes

Every connection sends at most MAX_BYTES and lives at most CONN_SEC; at most MAX_CONN
connections are served in all (MAX_PAR at a time; more are closed at once); the process exits
after LIFETIME seconds. It logs one line per connection (no payloads).

Usage: s3front.py --lifetime SEC --cert CRT --key KEY [--max-conn N] [--max-par N]
                  [--conn-sec SEC] [--max-bytes N] ADDRESS:PORT:MODE...
"""

import argparse
import os
import socket
import ssl
import sys
import threading
import time

MODES = ("drip_tcp", "drip_http", "drip_headers", "drip_body", "endless_chunked", "endless_close", "headers_many",
         "headers_line", "garbage", "garbage_record")
TLS_MODES = ("drip_http", "drip_headers", "drip_body", "endless_chunked", "endless_close", "headers_many", "headers_line")

# The first bytes of a TLS 1.2 ServerHello record (type 22, version 3.3, length 0x7a).
SERVER_HELLO_START = bytes.fromhex("160303007a0200007603035f") + b"\x00" * 64


def log(msg):
    sys.stdout.write("s3front.py: %s\n" % msg)
    sys.stdout.flush()


class Conn:
    """Limits of one connection: a byte budget and an end time."""

    def __init__(self, sock, args):
        self.sock = sock
        self.end = time.monotonic() + args.conn_sec
        self.left = args.max_bytes
        self.sent = 0

    def alive(self, stop):
        return not stop.is_set() and time.monotonic() < self.end and self.left > 0

    def send(self, data):
        data = data[: self.left]
        self.sock.sendall(data)
        self.left -= len(data)
        self.sent += len(data)

    def read_request(self, limit=16384, wait=2.0):
        """Reads up to the end of a request head (or limit bytes, or wait seconds)."""
        buf = b""
        self.sock.settimeout(wait)
        try:
            while len(buf) < limit and b"\r\n\r\n" not in buf:
                chunk = self.sock.recv(4096)
                if not chunk:
                    break
                buf += chunk
        except (socket.timeout, ssl.SSLError, OSError):
            pass
        self.sock.settimeout(5.0)
        return buf


def request_line(head):
    line = head.split(b"\r\n", 1)[0][:120]
    return line.decode("ascii", "replace")


def drip(c, stop, data):
    i = 0
    while c.alive(stop):
        c.send(data[i % len(data):i % len(data) + 1])
        i += 1
        stop.wait(1.0)


def play(mode, c, stop):
    """Plays MODE on connection c (TLS already done for TLS_MODES)."""
    rand = os.urandom
    if mode == "drip_tcp":
        c.read_request(limit=4096, wait=1.0)
        drip(c, stop, SERVER_HELLO_START)
    elif mode == "drip_http":
        head = c.read_request()
        log("  request: %s" % request_line(head))
        drip(c, stop, b"HTTP/1.1 200 OK\r\nx-amz-request-id: DRIPDRIPDRIP\r\n" + b"x" * 4096)
    elif mode == "drip_headers":
        head = c.read_request()
        log("  request: %s" % request_line(head))
        c.send(b"HTTP/1.1 200 OK\r\nx-amz-request-id: DRIPHEADERS\r\n")
        drip(c, stop, b"x-amz-meta-drip: " + b"z" * 4096)
    elif mode == "drip_body":
        head = c.read_request()
        log("  request: %s" % request_line(head))
        c.send(b"HTTP/1.1 200 OK\r\nx-amz-request-id: DRIPBODY\r\n"
               b"Content-Type: application/xml\r\nContent-Length: 8192\r\n\r\n")
        if head.startswith(b"HEAD "):
            c.read_request(limit=1, wait=2.0)
        else:
            drip(c, stop, b"<ListBucketResult>")
    elif mode in ("endless_chunked", "endless_close"):
        head = c.read_request()
        log("  request: %s" % request_line(head))
        if mode == "endless_chunked":
            c.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
                   b"x-amz-request-id: ENDLESSCHUNKED\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"4000\r\n" + (b"<ListBucketResult>" * 911)[:0x4000] + b"\r\n"
        else:
            c.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
                   b"x-amz-request-id: ENDLESSCLOSE\r\nConnection: close\r\n\r\n")
            chunk = b"<ListBucketResult>" * 1024
        while c.alive(stop):
            c.send(chunk)
    elif mode == "headers_many":
        head = c.read_request()
        log("  request: %s" % request_line(head))
        c.send(b"HTTP/1.1 200 OK\r\nx-amz-request-id: HEADERSMANY\r\n")
        line = b"x" * 1000
        for k in range(1024):
            if not c.alive(stop):
                break
            c.send(b"x-amz-meta-pad-%04d: %s\r\n" % (k, line))
        c.send(b"Content-Type: application/xml\r\nContent-Length: 0\r\n\r\n")
        c.read_request(limit=1, wait=2.0)  # give the client time to read before closing
    elif mode == "headers_line":
        head = c.read_request()
        log("  request: %s" % request_line(head))
        c.send(b"HTTP/1.1 200 OK\r\nx-amz-request-id: HEADERSLINE\r\nx-amz-meta-pad: ")
        for _ in range(1024):
            if not c.alive(stop):
                break
            c.send(b"y" * 1024)
        c.send(b"\r\nContent-Type: application/xml\r\nContent-Length: 0\r\n\r\n")
        c.read_request(limit=1, wait=2.0)
    elif mode == "garbage":
        while c.alive(stop):
            c.send(rand(65536))
    elif mode == "garbage_record":
        c.read_request(limit=4096, wait=1.0)
        c.send(b"\x16\x03\x03\x40\x00" + rand(16384))
        while c.alive(stop):
            c.send(rand(65536))


def serve_conn(sock, peer, mode, ctx, args, stop, slots):
    c = None
    try:
        sock.settimeout(5.0)
        if mode in TLS_MODES:
            sock = ctx.wrap_socket(sock, server_side=True)
        c = Conn(sock, args)
        play(mode, c, stop)
    except (OSError, ssl.SSLError) as e:
        log("  %s %s: %s" % (mode, peer, e.__class__.__name__ + ": " + str(e)[:80]))
    finally:
        log("closed %s %s after %d bytes" % (mode, peer, c.sent if c else 0))
        try:
            sock.close()
        except OSError:
            pass
        slots.release()


def listen_loop(addr, port, mode, ctx, args, stop, slots, budget):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(64)
    srv.settimeout(0.5)
    log("listening on %s:%d (%s)" % (addr, port, mode))
    while not stop.is_set():
        try:
            sock, peer = srv.accept()
        except socket.timeout:
            continue
        except OSError:
            break
        peer = "%s:%d" % peer
        with budget["lock"]:
            budget["n"] += 1
            over = budget["n"] > args.max_conn
        if over or not slots.acquire(blocking=False):
            log("refused %s %s (connection limit)" % (mode, peer))
            sock.close()
            continue
        log("accepted %s %s" % (mode, peer))
        threading.Thread(target=serve_conn, args=(sock, peer, mode, ctx, args, stop, slots),
                         daemon=True).start()
    srv.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lifetime", type=float, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--max-conn", type=int, default=500)
    ap.add_argument("--max-par", type=int, default=32)
    ap.add_argument("--conn-sec", type=float, default=60.0)
    ap.add_argument("--max-bytes", type=int, default=1024 * 1024 * 1024)
    ap.add_argument("listen", nargs="+")
    args = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    stop = threading.Event()
    slots = threading.Semaphore(args.max_par)
    budget = {"n": 0, "lock": threading.Lock()}
    threads = []
    for spec in args.listen:
        addr, port, mode = spec.rsplit(":", 2)
        if mode not in MODES:
            ap.error("unknown mode %r (modes: %s)" % (mode, " ".join(MODES)))
        t = threading.Thread(target=listen_loop,
                             args=(addr, int(port), mode, ctx, args, stop, slots, budget),
                             daemon=True)
        t.start()
        threads.append(t)
    stop.wait(args.lifetime)
    stop.set()
    for t in threads:
        t.join(2.0)


if __name__ == "__main__":
    main()
