#!/usr/bin/python3
"""proxy.py - the HTTPS proxy of a VPC whose only way out is a proxy (tests/vpc: https_proxy).

An HTTP CONNECT proxy as a corporate egress proxy (Squid and the like) behaves: a client sends
"CONNECT host:port HTTP/1.1"; when HOST matches an --allow pattern (an exact name, or ".SUFFIX"
for every name below SUFFIX) and PORT is 443, the proxy resolves HOST itself (through the VPC
resolver, as the proxy's own resolv.conf says), connects, answers "200 Connection established"
and relays bytes both ways until either side closes. Anything else gets Squid's answers:
403 (host or port not allowed), 502 (the host does not resolve or refuses), 504 (the connect
timed out), 405 (a method other than CONNECT: this proxy only tunnels TLS).

Bounded: at most --max-conns tunnels at a time (more are refused with 503), --max-total in all,
--max-bytes per direction and --conn-sec seconds per tunnel, a request head of at most 8 KiB
read within 5 s, a connect of at most --connect-sec; the process exits after --lifetime
seconds. One log line per request.

Usage: proxy.py --listen ADDRESS:PORT --lifetime SEC --allow PATTERN... [--max-conns N]
                [--max-total N] [--max-bytes N] [--conn-sec SEC] [--connect-sec SEC]
"""

import argparse
import select
import socket
import sys
import threading
import time

HEAD_MAX = 8192
HEAD_SEC = 5.0


def log(msg):
    sys.stdout.write("proxy.py: %s\n" % msg)
    sys.stdout.flush()


def allowed(patterns, host):
    host = host.lower().rstrip(".")
    for p in patterns:
        if host == p or (p.startswith(".") and host.endswith(p)):
            return True
    return False


def reply(conn, status, reason):
    body = ("%d %s\n" % (status, reason)).encode()
    head = "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (
        status, reason, len(body))
    try:
        conn.sendall(head.encode() + body)
    except OSError:
        pass


def read_head(conn):
    """The request head (bytes up to and with the blank line, then whatever followed it), or
    None when too long, slow or closed."""
    buf = b""
    end = time.monotonic() + HEAD_SEC
    while b"\r\n\r\n" not in buf:
        left = end - time.monotonic()
        if left <= 0 or len(buf) > HEAD_MAX:
            return None
        conn.settimeout(left)
        try:
            chunk = conn.recv(HEAD_MAX + 4 - len(buf))
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


class Proxy:
    def __init__(self, args):
        self.args = args
        self.allow = [a.lower() for a in args.allow]
        self.slots = threading.Semaphore(args.max_conns)
        self.stop = threading.Event()

    def relay(self, a, b):
        """Copy bytes both ways until a side closes, --conn-sec passes or --max-bytes is sent.
        Returns (bytes client->server, bytes server->client, why it ended)."""
        sent = {a: 0, b: 0}
        end = time.monotonic() + self.args.conn_sec
        for s in (a, b):
            s.setblocking(False)
        while not self.stop.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return sent[a], sent[b], "time limit"
            r, _, _ = select.select([a, b], [], [], min(left, 0.5))
            for s in r:
                other = b if s is a else a
                try:
                    data = s.recv(16384)
                except BlockingIOError:
                    continue
                except OSError:
                    return sent[a], sent[b], "reset"
                if not data:
                    return sent[a], sent[b], "closed"
                if sent[s] + len(data) > self.args.max_bytes:
                    return sent[a], sent[b], "byte limit"
                sent[s] += len(data)
                other.setblocking(True)
                other.settimeout(5.0)
                try:
                    other.sendall(data)
                except OSError:
                    return sent[a], sent[b], "reset"
                finally:
                    other.setblocking(False)
        return sent[a], sent[b], "stopped"

    def serve(self, conn, peer):
        upstream = None
        try:
            head = read_head(conn)
            if head is None:
                log("%s: no request head within %d bytes and %.0f s" % (peer, HEAD_MAX, HEAD_SEC))
                return
            head, _, early = head.partition(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            parts = line.split()
            if len(parts) != 3 or parts[0] != "CONNECT":
                log("%s: %r -> 405" % (peer, line[:80]))
                reply(conn, 405, "Method Not Allowed")
                return
            host, _, port = parts[1].rpartition(":")
            host = host.strip("[]")
            if not host or port != "443" or not allowed(self.allow, host):
                log("%s: CONNECT %s -> 403 (not allowed)" % (peer, parts[1][:80]))
                reply(conn, 403, "Forbidden")
                return
            try:
                upstream = socket.create_connection((host, 443), timeout=self.args.connect_sec)
            except socket.timeout:
                log("%s: CONNECT %s -> 504 (connect timed out)" % (peer, parts[1]))
                reply(conn, 504, "Gateway Timeout")
                return
            except OSError as e:
                log("%s: CONNECT %s -> 502 (%s)" % (peer, parts[1], e))
                reply(conn, 502, "Bad Gateway")
                return
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if early:  # a client that did not wait for the 200 (bounded by HEAD_MAX)
                upstream.sendall(early)
            up, down, why = self.relay(conn, upstream)
            up += len(early)
            log("%s: CONNECT %s -> 200 via %s, %d bytes up, %d down, %s" % (
                peer, parts[1], upstream.getpeername()[0], up, down, why))
        except OSError as e:
            log("%s: %s" % (peer, e))
        finally:
            if upstream:
                upstream.close()
            conn.close()
            self.slots.release()

    def run(self):
        addr, _, port = self.args.listen.rpartition(":")
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((addr, int(port)))
        srv.listen(64)
        log("listening on %s; allowed: %s" % (self.args.listen, " ".join(self.allow)))
        end = time.monotonic() + self.args.lifetime
        total = 0
        while total < self.args.max_total and time.monotonic() < end:
            srv.settimeout(max(0.1, min(0.5, end - time.monotonic())))
            try:
                conn, peer = srv.accept()
            except socket.timeout:
                continue
            total += 1
            if not self.slots.acquire(blocking=False):
                log("%s:%d: too many tunnels at a time -> 503" % peer)
                reply(conn, 503, "Service Unavailable")
                conn.close()
                continue
            threading.Thread(target=self.serve, args=(conn, "%s:%d" % peer), daemon=True).start()
        srv.close()
        self.stop.set()
        log("exiting after %d connections" % total)
        time.sleep(0.6)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--lifetime", type=float, required=True)
    ap.add_argument("--allow", action="append", required=True)
    ap.add_argument("--max-conns", type=int, default=64)
    ap.add_argument("--max-total", type=int, default=10000)
    ap.add_argument("--max-bytes", type=int, default=8 << 20)
    ap.add_argument("--conn-sec", type=float, default=60.0)
    ap.add_argument("--connect-sec", type=float, default=5.0)
    Proxy(ap.parse_args()).run()


if __name__ == "__main__":
    main()
