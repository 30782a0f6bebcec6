#!/usr/bin/python3
"""creds.py - the container credentials endpoint stand-in of the emulated VPC (tests/vpc).

One process serves every container: for each NETNS:UUID argument it enters that network
namespace (setns on /run/netns/NETNS), binds 169.254.170.2:80 there and serves
GET /v2/credentials/UUID with the ECS/SageMaker credentials JSON. The secrets are fake and
recognisable (the runner greps netcheck's outputs for them).

Usage: creds.py LIFETIME_SEC NETNS:UUID...   (exits by itself after LIFETIME_SEC)
Environment: NC_ACCESS_KEY_ID, NC_SECRET_ACCESS_KEY, NC_SESSION_TOKEN.
"""

import ctypes
import datetime
import http.server
import json
import os
import signal
import sys
import threading

CLONE_NEWNET = 0x40000000
ADDRESS = ("169.254.170.2", 80)


def setns(path):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {path}: {os.strerror(err)}")
    finally:
        os.close(fd)


def make_handler(uuid, document):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "NetcheckTestCreds/1"
        sys_version = ""

        def do_GET(self):
            if self.path == f"/v2/credentials/{uuid}":
                body = json.dumps(document()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
            else:
                body = b'{"code":"InvalidIdentifier","message":"Credentials not found"}'
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):  # access log without secrets
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    return Handler


def main():
    lifetime = float(sys.argv[1])
    pairs = [a.split(":", 1) for a in sys.argv[2:]]
    key_id = os.environ["NC_ACCESS_KEY_ID"]
    secret = os.environ["NC_SECRET_ACCESS_KEY"]
    token = os.environ["NC_SESSION_TOKEN"]

    def document():
        expiration = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=6)
        return {
            "AccessKeyId": key_id,
            "SecretAccessKey": secret,
            "Token": token,
            "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
        }

    home = f"/proc/{os.getpid()}/ns/net"
    home_fd = os.open(home, os.O_RDONLY)
    servers = []
    for netns, uuid in pairs:
        setns(f"/run/netns/{netns}")
        servers.append(http.server.ThreadingHTTPServer(ADDRESS, make_handler(uuid, document)))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.setns(home_fd, CLONE_NEWNET)
    os.close(home_fd)

    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print(f"creds.py: serving {len(servers)} namespaces", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    done = threading.Event()
    done.wait(lifetime)


if __name__ == "__main__":
    main()
