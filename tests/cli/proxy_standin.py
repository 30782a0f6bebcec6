#!/usr/bin/env python3
"""proxy_standin.py LOG READY - test servers for tests/cli/test_proxy.sh.

Inside the test's own network namespace:
  127.0.0.1:3128      a proxy stand-in: records every request line and its
                      headers in LOG (one line each), answers GET/HEAD/POST
                      200 "via proxy" and CONNECT 502 (no tunnel);
  169.254.170.2:80    the container credentials endpoint (relative URI);
  127.0.0.1:8080      the same, for a full URI.
Writes READY once all listen; runs until killed.
"""
import http.server
import json
import socketserver
import sys
import threading

LOG = open(sys.argv[1], "a", buffering=1)
CREDS = json.dumps({"AccessKeyId": "ASIAPROXYTESTKEY0001", "SecretAccessKey": "proxy-test-secret",
                    "Token": "proxy-test-token", "Expiration": "2099-01-01T00:00:00Z",
                    "RoleArn": "arn:aws:iam::123456789012:role/nc-proxy-test"}).encode()


class Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class Proxy(Quiet):
    def record(self):
        headers = " | ".join(f"{k}: {v}" for k, v in self.headers.items())
        LOG.write(f"{self.command} {self.path} | {headers}\n")

    def do_GET(self):
        self.record()
        self.reply(200, b"via proxy")

    do_HEAD = do_POST = do_GET

    def do_CONNECT(self):
        self.record()
        self.reply(502, b"")


class Creds(Quiet):
    def do_GET(self):
        self.reply(200, CREDS)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


servers = [Server(("127.0.0.1", 3128), Proxy), Server(("169.254.170.2", 80), Creds),
           Server(("127.0.0.1", 8080), Creds)]
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
open(sys.argv[2], "w").close()
threading.Event().wait()
