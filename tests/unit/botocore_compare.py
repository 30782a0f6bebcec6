#!/usr/bin/python3
"""Compare netcheck's SigV4 signing with botocore's.

Run with Debian's /usr/bin/python3 (python3-botocore 1.29) from the
repository root, with NETCHECK_SIGV4_CLI naming a built tests/unit/sigv4_cli
(tests/unit/test_sigv4_botocore.sh builds one when it is not set).

Two sources of reference signatures, both at fixed times (botocore.auth
reads datetime.datetime.utcnow(), which is patched here):
  * botocore.auth.S3SigV4Auth / SigV4Auth signing hand-built AWSRequests;
  * botocore's own S3 and STS clients, whose requests are captured at
    'before-send' and answered locally (nothing leaves the machine).
Each request is signed again by sigv4_cli given only what netcheck's probes
give sigv4_sign (method, wire path and query, Host, payload, the headers
botocore signed besides the ones sigv4_sign adds itself), and the
Authorization, X-Amz-Date and X-Amz-Content-SHA256 values must be equal.
Where the same parameters can be written on the wire in other legal ways
(raw UTF-8, lowercase escapes, another order), those forms must sign the
same as well.

Exit status 0 when every comparison matched; the last line is
"N passed, M failed".
"""

import datetime
import os
import subprocess
import sys
import types
import urllib.parse

import botocore
import botocore.compat

# With python3-awscrt installed (awscli pulls it in), botocore's clients sign
# with the CRT signer, whose clock this script cannot fix: compare against
# botocore's own Python signer, as on a machine without awscrt.
botocore.compat.HAS_CRT = False

import botocore.auth  # noqa: E402  (after the CRT switch above)
import botocore.session
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = (
    "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+ex/AMPLE+token=="
)
TOKEN_VARIANTS = (("no-token", None), ("token", SESSION_TOKEN))
TIMES = (
    datetime.datetime(2024, 2, 29, 23, 59, 58),
    datetime.datetime(2015, 8, 30, 12, 36, 0),
    datetime.datetime(2031, 1, 5, 4, 3, 2),
)
ADDED_BY_SIGV4 = {"host", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"}
UNICODE_PREFIX = "data/some dir/\u00fcn\u00ef \u65e5\u672c+a=b&c~!*'()"
STS_BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
STS_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


class FixedClock:
    """Replaces botocore.auth.datetime so that utcnow() is a fixed time."""

    def __init__(self):
        self.now = TIMES[0]
        self.saved = botocore.auth.datetime
        clock = self

        class FixedDatetime(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return clock.now

        botocore.auth.datetime = types.SimpleNamespace(datetime=FixedDatetime)

    def restore(self):
        botocore.auth.datetime = self.saved


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


def header(headers, name):
    for key, value in headers.items():
        if key.lower() == name.lower():
            return text(value)
    return None


def signed_header_names(authorization):
    part = authorization.split("SignedHeaders=", 1)[1].split(",", 1)[0]
    return part.split(";")


class Comparison:
    def __init__(self, cli):
        self.cli = cli
        self.passed = 0
        self.failed = 0

    def run_cli(self, *, method, path, query, host, service, region, when, token, s3,
                extra_headers=(), payload=b""):
        args = [
            self.cli, "--method", method, "--path", path, "--region", region,
            "--service", service, "--time", when.strftime("%Y%m%dT%H%M%SZ"),
            "--header", "Host: " + host, "--debug",
        ]
        if query:
            args += ["--query", query]
        if s3:
            args.append("--s3")
        for name, value in extra_headers:
            args += ["--header", f"{name}: {value}"]
        if payload:
            args += ["--payload", payload.decode("utf-8")]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["AWS_ACCESS_KEY_ID"] = ACCESS_KEY
        env["AWS_SECRET_ACCESS_KEY"] = SECRET_KEY
        if token:
            env["AWS_SESSION_TOKEN"] = token
        proc = subprocess.run(args, env=env, capture_output=True, check=False)
        out = {}
        for line in proc.stdout.decode("utf-8").splitlines():
            name, _, value = line.partition(": ")
            out[name.lower()] = value
        return proc.returncode, out, proc.stderr.decode("utf-8", "replace")

    def check(self, name, expected, cli_kwargs):
        rc, got, debug = self.run_cli(**cli_kwargs)
        problems = []
        if rc != 0:
            problems.append(f"sigv4_cli exited {rc}")
        for key, want in expected.items():
            if got.get(key) != want:
                problems.append(f"{key}:\n      botocore: {want}\n      netcheck: {got.get(key)}")
        if problems:
            self.failed += 1
            print(f"FAIL {name}")
            for problem in problems:
                print("    " + problem)
            print("    netcheck debug output:\n" + "\n".join("      " + l for l in debug.splitlines()))
        else:
            self.passed += 1
            print(f"ok   {name}")


def expected_headers(headers, s3):
    """What sigv4_cli must print, from botocore's signed headers."""
    want = {
        "authorization": header(headers, "Authorization"),
        "x-amz-date": header(headers, "X-Amz-Date"),
    }
    if s3:
        want["x-amz-content-sha256"] = header(headers, "X-Amz-Content-SHA256")
    return want


def extra_signed_headers(headers):
    """Headers botocore signed that sigv4_sign does not add by itself."""
    names = signed_header_names(header(headers, "Authorization"))
    return [(n, header(headers, n)) for n in names if n not in ADDED_BY_SIGV4]


# ---------------------------------------------------------------------------
# hand-built requests signed with botocore.auth
# ---------------------------------------------------------------------------

def s3_url(host, path, query_pairs=None):
    url = f"https://{host}{path}"
    if query_pairs:
        url += "?" + percent_encode_sequence(query_pairs)
    return url


def direct_cases():
    """(name, signer, service, region, method, url, body, content_type, other wire queries)."""
    vhost = "my-bucket.s3.us-east-1.amazonaws.com"
    list_plain = [("list-type", "2"), ("max-keys", "1"), ("prefix", "data/some dir/")]
    list_unicode = [("list-type", "2"), ("max-keys", "1"), ("prefix", UNICODE_PREFIX)]
    key = "dir with space/\u00fc+=&$@,;:!*'()[]~.txt"
    return [
        ("s3 HEAD bucket, virtual-hosted", "s3", "s3", "us-east-1", "HEAD",
         s3_url(vhost, "/"), b"", None, []),
        ("s3 HEAD bucket, path style", "s3", "s3", "us-east-1", "HEAD",
         s3_url("s3.us-east-1.amazonaws.com", "/my-bucket"), b"", None, []),
        ("s3 HEAD bucket, eu-west-1", "s3", "s3", "eu-west-1", "HEAD",
         s3_url("my-bucket.s3.eu-west-1.amazonaws.com", "/"), b"", None, []),
        ("s3 ListObjectsV2 prefix with spaces", "s3", "s3", "us-east-1", "GET",
         s3_url(vhost, "/", list_plain), b"", None,
         ["list-type=2&max-keys=1&prefix=data/some%20dir/",
          "prefix=data%2fsome%20dir%2f&max-keys=1&list-type=2"]),
        ("s3 ListObjectsV2 prefix with unicode and reserved characters", "s3", "s3",
         "us-east-1", "GET", s3_url(vhost, "/", list_unicode), b"", None,
         ["list-type=2&max-keys=1&prefix="
          + urllib.parse.quote(UNICODE_PREFIX, safe="/~!*'()").replace("%C3%BC", "\u00fc"),
          "max-keys=1&prefix=" + urllib.parse.quote(UNICODE_PREFIX, safe="-_.~").lower()
          + "&list-type=2"]),
        ("s3 GET key /a//b/../c (not normalised)", "s3", "s3", "us-east-1", "GET",
         s3_url(vhost, "/a//b/../c"), b"", None, []),
        ("s3 GET key with reserved and unicode characters", "s3", "s3", "us-east-1", "GET",
         s3_url(vhost, "/" + urllib.parse.quote(key, safe="/~")), b"", None, []),
        ("s3 PUT object with a payload", "s3", "s3", "us-east-1", "PUT",
         s3_url(vhost, "/netcheck/write-test.txt"), b"netcheck write test\n", None, []),
        ("sts GetCallerIdentity POST", "sigv4", "sts", "us-east-1", "POST",
         "https://sts.us-east-1.amazonaws.com/", STS_BODY, STS_CONTENT_TYPE, []),
    ]


def run_direct(cmp, clock):
    i = 0
    for (name, signer_kind, service, region, method, url, body, content_type,
         other_queries) in direct_cases():
        for token_name, token in TOKEN_VARIANTS:
            clock.now = TIMES[i % len(TIMES)]
            i += 1
            headers = {"Content-Type": content_type} if content_type else {}
            request = AWSRequest(method=method, url=url, data=body, headers=headers)
            creds = Credentials(ACCESS_KEY, SECRET_KEY, token)
            if signer_kind == "s3":
                botocore.auth.S3SigV4Auth(creds, service, region).add_auth(request)
            else:
                botocore.auth.SigV4Auth(creds, service, region).add_auth(request)
            parts = urllib.parse.urlsplit(url)
            want = expected_headers(request.headers, signer_kind == "s3")
            kwargs = dict(method=method, path=parts.path, query=parts.query, host=parts.netloc,
                          service=service, region=region, when=clock.now, token=token,
                          s3=signer_kind == "s3",
                          extra_headers=extra_signed_headers(request.headers), payload=body)
            cmp.check(f"{name} [{token_name}]", want, kwargs)
            for n, query in enumerate(other_queries, 1):
                cmp.check(f"{name} [{token_name}, wire form {n}: {query}]", want,
                          dict(kwargs, query=query))


# ---------------------------------------------------------------------------
# botocore's clients, answered locally
# ---------------------------------------------------------------------------

class _Raw:
    def stream(self, **kwargs):
        return iter([b""])


LIST_RESPONSE = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    b"<Name>my-bucket</Name><KeyCount>0</KeyCount><MaxKeys>1</MaxKeys>"
    b"<IsTruncated>false</IsTruncated></ListBucketResult>"
)
STS_RESPONSE = (
    b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    b"<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/x</Arn>"
    b"<UserId>AIDEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
    b"<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId>"
    b"</ResponseMetadata></GetCallerIdentityResponse>"
)


def capture_client(service, token, captured):
    session = botocore.session.Session()
    session.set_credentials(ACCESS_KEY, SECRET_KEY, token)
    if service == "s3":
        config = Config(signature_version="s3v4", retries={"max_attempts": 1},
                        s3={"addressing_style": "virtual",
                            "us_east_1_regional_endpoint": "regional"})
        client = session.create_client("s3", region_name="us-east-1", config=config)
    else:
        client = session.create_client("sts", region_name="us-east-1",
                                       endpoint_url="https://sts.us-east-1.amazonaws.com",
                                       config=Config(retries={"max_attempts": 1}))

    def before_send(request, **kwargs):
        captured.append(request)
        body = b""
        if "list-type=" in request.url:
            body = LIST_RESPONSE
        elif service == "sts":
            body = STS_RESPONSE
        response = AWSResponse(request.url, 200, {}, _Raw())
        response._content = body
        return response

    client.meta.events.register("before-send", before_send)
    return client


def run_clients(cmp, clock):
    calls = [
        ("client s3 head_bucket", "s3", lambda c: c.head_bucket(Bucket="my-bucket")),
        ("client s3 list_objects_v2 unicode prefix", "s3",
         lambda c: c.list_objects_v2(Bucket="my-bucket", MaxKeys=1, Prefix=UNICODE_PREFIX)),
        ("client s3 list_objects_v2 prefix with spaces", "s3",
         lambda c: c.list_objects_v2(Bucket="my-bucket", MaxKeys=1, Prefix="data/some dir/")),
        ("client s3 get_object a//b/../c", "s3",
         lambda c: c.get_object(Bucket="my-bucket", Key="a//b/../c")),
        ("client sts get_caller_identity", "sts", lambda c: c.get_caller_identity()),
    ]
    i = 0
    for name, service, call in calls:
        for token_name, token in TOKEN_VARIANTS:
            clock.now = TIMES[i % len(TIMES)]
            i += 1
            captured = []
            call(capture_client(service, token, captured))
            if len(captured) != 1:
                cmp.failed += 1
                print(f"FAIL {name} [{token_name}]: captured {len(captured)} requests")
                continue
            request = captured[0]
            parts = urllib.parse.urlsplit(request.url)
            body = request.body or b""
            if isinstance(body, str):
                body = body.encode("utf-8")
            cmp.check(f"{name} [{token_name}]", expected_headers(request.headers, service == "s3"),
                      dict(method=request.method, path=parts.path, query=parts.query,
                           host=parts.netloc, service=service, region="us-east-1",
                           when=clock.now, token=token, s3=service == "s3",
                           extra_headers=extra_signed_headers(request.headers), payload=body))


def main():
    cli = os.environ.get("NETCHECK_SIGV4_CLI")
    if not cli or not os.access(cli, os.X_OK):
        print("NETCHECK_SIGV4_CLI must name a built tests/unit/sigv4_cli", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    print(f"botocore {botocore.__version__} from {botocore.__file__}")
    for var in [v for v in os.environ if v.startswith("AWS_")]:
        del os.environ[var]  # no profile, region or credentials from the caller
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    cmp = Comparison(cli)
    clock = FixedClock()
    try:
        run_direct(cmp, clock)
        run_clients(cmp, clock)
    finally:
        clock.restore()
    print(f"{cmp.passed} passed, {cmp.failed} failed")
    return 0 if cmp.failed == 0 and cmp.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
