#!/usr/bin/python3
"""stranger.py - a process that is not netcheck on a peer's port (tests/vpc fault).

Listens on ADDRESS:PORT, answers every connection with a line of garbage, reads and discards
up to 4 KiB for at most 2 seconds, closes. Exits after LIFETIME_SEC or MAX_CONN connections.

Usage: stranger.py ADDRESS PORT LIFETIME_SEC [MAX_CONN]
"""

import socket
import sys
import time


def main():
    address, port, lifetime = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    max_conn = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    end = time.monotonic() + lifetime
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((address, port))
    srv.listen(16)
    print(f"stranger.py: listening on {address}:{port}", flush=True)
    served = 0
    while served < max_conn and time.monotonic() < end:
        srv.settimeout(max(0.1, min(1.0, end - time.monotonic())))
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        served += 1
        with conn:
            conn.settimeout(2.0)
            try:
                conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 not-netcheck\r\n\x00\xff\xfe garbage\n")
                conn.recv(4096)
            except OSError:
                pass


if __name__ == "__main__":
    main()
