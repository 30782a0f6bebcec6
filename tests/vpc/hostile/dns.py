#!/usr/bin/python3
"""dns.py - a nameserver that spoils or filters answers, for the emulated VPC (tests/vpc).

Listens on ADDRESS:PORT (default 53) over UDP and TCP. Each query is matched against the
--rule PATTERN[/TYPE]=MODE[:ARG] list in order; the first rule whose PATTERN (an exact name,
"*.SUFFIX" for every name below SUFFIX, or "*" for every name) and TYPE (A, AAAA, ...; any when
left out) match decides the answer. A query no rule matches is relayed to --upstream (the VPC
resolver) unchanged, so the rest of the VPC resolves as usual.

Legitimate resolvers (tests/vpc/lib.sh: custom_dns_aws_only, dns_firewall):

  relay       the upstream's answer, unchanged (to let names through before a catch-all rule)
  refused     RCODE REFUSED, no records (a server that does not serve this name)
  nxdomain    RCODE NXDOMAIN, no records (the name does not exist, or DNS Firewall's NXDOMAIN)
  nodata      NOERROR with no records (the name has no record of this type; DNS Firewall's
              default block response)
  drop        no answer at all (a resolver or DNS appliance that drops a query type: the
              client times out)

Hostile modes (tests/vpc/hostile):

  many[:N]    A queries get N A records (default 400; the first is --first, the others unused
              addresses of 198.19.200.0/21). Over UDP the answer does not fit: TC=1 with the
              records that fit in the client's size, so the client retries over TCP, where it
              gets all N (4000 fill a 64 KiB TCP message). Other types are relayed.
  ptrloop     one A record whose owner name is a compression pointer to itself
  badptr      one A record whose owner name points past the end of the message
  count       ANCOUNT says 200, one record follows
  trunc       a valid one-record answer cut inside the record (no TC bit)
  garbage     the query's ID and a response flag word, then random bytes
  qloop       the question's name is a compression pointer to itself
  tcp_short   over UDP: TC=1 and no records; over TCP: a length prefix of 4096, 40 bytes, close
  tcp_silent  over UDP: TC=1 and no records; over TCP: accepts, reads, never answers

Bounded: at most MAX_PAR relays and TCP connections at a time, TCP connections live at most
CONN_SEC, the process exits after LIFETIME seconds. One log line per query.

Usage: dns.py --listen ADDRESS [--port N] --upstream ADDRESS --lifetime SEC [--first ADDRESS]
              [--max-par N] [--conn-sec SEC] --rule PATTERN[/TYPE]=MODE[:ARG]...
"""

import argparse
import os
import socket
import struct
import sys
import threading
import time

TYPE_A, TYPE_OPT = 1, 41
TYPE_NAMES = {1: "A", 28: "AAAA", 5: "CNAME", 2: "NS", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT",
              33: "SRV", 65: "HTTPS"}
TYPE_NUMBERS = {v: k for k, v in TYPE_NAMES.items()}
RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_REFUSED = 0, 3, 5
NEGATIVE = {"refused": RCODE_REFUSED, "nxdomain": RCODE_NXDOMAIN, "nodata": RCODE_NOERROR}
MODES = ("relay", "drop") + tuple(NEGATIVE) + ("many", "ptrloop", "badptr", "count", "trunc", "garbage",
                                        "qloop", "tcp_short", "tcp_silent")


def log(msg):
    sys.stdout.write("dns.py: %s\n" % msg)
    sys.stdout.flush()


def parse_query(q):
    """(id, flags, qname lower-case, qtype, question bytes, udp size) or None."""
    if len(q) < 12:
        return None
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", q[:12])
    if qd != 1:
        return None
    i, labels = 12, []
    while i < len(q):
        n = q[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0 or i + 1 + n > len(q):
            return None
        labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace").lower())
        i += 1 + n
    if i + 4 > len(q):
        return None
    qtype, _ = struct.unpack("!HH", q[i:i + 4])
    question = q[12:i + 4]
    udp = 512
    # An OPT record in the additional section names the client's UDP size.
    j = i + 4
    if ar and j + 11 <= len(q) and q[j] == 0:
        otype, oclass = struct.unpack("!HH", q[j + 1:j + 5])
        if otype == TYPE_OPT:
            udp = max(512, oclass)
    return qid, flags, ".".join(labels), qtype, question, udp


def header(qid, qflags, an, tc=False, qd=1):
    flags = 0x8000 | (qflags & 0x7900) | 0x0400 | 0x0080  # QR, opcode+RD, AA, RA
    if tc:
        flags |= 0x0200
    return struct.pack("!6H", qid, flags, qd, an, 0, 0)


def negative(qid, qflags, question, rcode):
    """An answer without records, as a recursive resolver sends it: QR, RD copied, RA, no AA."""
    flags = 0x8000 | (qflags & 0x7900) | 0x0080 | rcode
    return struct.pack("!6H", qid, flags, 1, 0, 0, 0) + question


def rr_a(addr, name=b"\xc0\x0c"):
    return name + struct.pack("!HHIH", TYPE_A, 1, 30, 4) + socket.inet_aton(addr)


def many_addrs(first, n):
    out = [first]
    for i in range(1, n):
        out.append("198.19.%d.%d" % (200 + (i - 1) // 254, 1 + (i - 1) % 254))
    return out


def rule_answer(mode, arg, q, parsed, transport, first):
    """The answer bytes for a rule's MODE; None = relay; b"" = no answer at all."""
    qid, qflags, _, qtype, question, udp = parsed
    if mode == "relay":
        return None
    if mode == "drop":
        return b""
    if mode in NEGATIVE:
        return negative(qid, qflags, question, NEGATIVE[mode])
    if mode == "many":
        if qtype != TYPE_A:
            return None
        n = int(arg or 400)
        rrs = [rr_a(a) for a in many_addrs(first, n)]
        if transport == "tcp":
            limit = 65535
        else:
            limit = udp
        room = (limit - 12 - len(question)) // 16
        if transport == "udp" and room < n:
            return header(qid, qflags, room, tc=True) + question + b"".join(rrs[:room])
        room = min(room, n)
        return header(qid, qflags, room) + question + b"".join(rrs[:room])
    if mode == "ptrloop":
        off = 12 + len(question)
        return header(qid, qflags, 1) + question + rr_a(first, struct.pack("!H", 0xC000 | off))
    if mode == "badptr":
        return header(qid, qflags, 1) + question + rr_a(first, b"\xff\xf0")
    if mode == "count":
        return header(qid, qflags, 200) + question + rr_a(first)
    if mode == "trunc":
        full = header(qid, qflags, 1) + question + rr_a(first)
        return full[:-3]
    if mode == "garbage":
        return struct.pack("!HH", qid, 0x8180) + os.urandom(200)
    if mode == "qloop":
        return (header(qid, qflags, 1) + b"\xc0\x0c" + question[-4:] + rr_a(first))
    if mode in ("tcp_short", "tcp_silent"):
        if transport == "udp":
            return header(qid, qflags, 0, tc=True) + question
        return b""  # handled by the TCP server
    return None


class Server:
    def __init__(self, args):
        self.args = args
        self.rules = []  # (pattern, qtype or None, mode, arg), first match wins
        for r in args.rule:
            pat, _, mode = r.partition("=")
            pat, _, tname = pat.partition("/")
            m, _, arg = mode.partition(":")
            if m not in MODES:
                raise SystemExit("dns.py: unknown mode %r (modes: %s)" % (m, " ".join(MODES)))
            if tname and tname.upper() not in TYPE_NUMBERS:
                raise SystemExit("dns.py: unknown type %r (types: %s)" % (
                    tname, " ".join(TYPE_NUMBERS)))
            self.rules.append((pat.lower().rstrip("."), TYPE_NUMBERS.get(tname.upper()), m, arg))
        self.stop = threading.Event()
        self.slots = threading.Semaphore(args.max_par)

    def match(self, name, qtype):
        """(mode, arg) of the first rule for NAME and QTYPE, or None."""
        for pat, rtype, mode, arg in self.rules:
            if rtype is not None and rtype != qtype:
                continue
            if pat == "*" or pat == name or (pat.startswith("*.") and name.endswith(pat[1:])):
                return mode, arg
        return None

    def relay(self, q):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.settimeout(2.0)
            s.sendto(q, (self.args.upstream, 53))
            return s.recv(65535)
        except OSError:
            return None
        finally:
            s.close()

    def answer(self, q, transport):
        """(reply bytes or None, description)."""
        parsed = parse_query(q)
        if not parsed:
            return None, "unparsable query"
        name, qtype = parsed[2], parsed[3]
        desc = "%s %s %s" % (transport, TYPE_NAMES.get(qtype, qtype), name)
        rule = self.match(name, qtype)
        if rule:
            a = rule_answer(rule[0], rule[1], q, parsed, transport, self.args.first)
            if a is not None:
                return a, "%s -> %s (%d bytes)" % (desc, rule[0], len(a))
        a = self.relay(q)
        return a, "%s -> relayed (%s)" % (desc, "%d bytes" % len(a) if a else "no answer")

    # ---- UDP ----
    def udp_one(self, sock, q, peer):
        try:
            a, desc = self.answer(q, "udp")
            log(desc)
            if a:
                sock.sendto(a, peer)
        except OSError as e:
            log("udp error: %s" % e)
        finally:
            self.slots.release()

    def udp_loop(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.args.listen, self.args.port))
        sock.settimeout(0.5)
        while not self.stop.is_set():
            try:
                q, peer = sock.recvfrom(4096)
            except socket.timeout:
                continue
            if not self.slots.acquire(blocking=False):
                log("udp query dropped (too many at a time)")
                continue
            threading.Thread(target=self.udp_one, args=(sock, q, peer), daemon=True).start()

    # ---- TCP ----
    def recv_exact(self, c, n):
        buf = b""
        while len(buf) < n:
            chunk = c.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def tcp_conn(self, c, peer):
        end = time.monotonic() + self.args.conn_sec
        try:
            c.settimeout(2.0)
            while not self.stop.is_set() and time.monotonic() < end:
                try:
                    ln = self.recv_exact(c, 2)
                except socket.timeout:
                    continue
                if not ln:
                    break
                q = self.recv_exact(c, struct.unpack("!H", ln)[0])
                if not q:
                    break
                parsed = parse_query(q)
                rule = self.match(parsed[2], parsed[3]) if parsed else None
                if rule and rule[0] == "tcp_short":
                    log("tcp %s -> tcp_short (length 4096, 40 bytes, close)" % parsed[2])
                    c.sendall(struct.pack("!H", 4096) + q[:2] + os.urandom(38))
                    break
                if rule and rule[0] == "tcp_silent":
                    log("tcp %s -> tcp_silent (holding the connection)" % parsed[2])
                    while not self.stop.is_set() and time.monotonic() < end:
                        try:
                            if not c.recv(4096):
                                break
                        except socket.timeout:
                            continue
                    break
                a, desc = self.answer(q, "tcp")
                log(desc)
                if a:
                    c.sendall(struct.pack("!H", len(a)) + a)
        except OSError as e:
            log("tcp %s: %s" % (peer, e))
        finally:
            c.close()
            self.slots.release()

    def tcp_loop(self):
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((self.args.listen, self.args.port))
        srv.listen(64)
        srv.settimeout(0.5)
        while not self.stop.is_set():
            try:
                c, peer = srv.accept()
            except socket.timeout:
                continue
            if not self.slots.acquire(blocking=False):
                log("tcp connection refused (too many at a time)")
                c.close()
                continue
            threading.Thread(target=self.tcp_conn, args=(c, "%s:%d" % peer), daemon=True).start()
        srv.close()

    def run(self):
        for f in (self.udp_loop, self.tcp_loop):
            threading.Thread(target=f, daemon=True).start()
        log("listening on %s:%d (udp, tcp); rules: %s" % (
            self.args.listen, self.args.port, " ".join(
                "%s%s=%s" % (p, "/" + TYPE_NAMES[t] if t else "", m) for p, t, m, _ in self.rules)))
        self.stop.wait(self.args.lifetime)
        self.stop.set()
        time.sleep(0.6)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--lifetime", type=float, required=True)
    ap.add_argument("--first", default="198.19.1.10")
    ap.add_argument("--max-par", type=int, default=64)
    ap.add_argument("--conn-sec", type=float, default=30.0)
    ap.add_argument("--rule", action="append", default=[])
    Server(ap.parse_args()).run()


if __name__ == "__main__":
    main()
