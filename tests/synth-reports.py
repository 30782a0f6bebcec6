#!/usr/bin/python3
"""Writes the reports of a synthetic N-host job, as netcheck writes them.

Usage: tests/synth-reports.py OUT-DIR [--hosts N] [--no-inbound K] [--never K]
                              [--s3-no-route K] [--pmtu A,B]

One HOST.json per host that ran (a host that never started writes none):
every family's probes with the fields, details and message lengths of real
reports (env, creds, 13 DNS names, 2 buckets, 5 repositories, egress, 5 AWS
services, clock) and one peer probe per other host (N-1 each). Faults:
--no-inbound K: no peer reaches algo-K (it reaches them); --never K: algo-K
never started (no report, its port refuses); --s3-no-route K: algo-K's S3
probes time out; --pmtu A,B: large packets between algo-A and algo-B vanish.
Used by the merge page's layout test (tests/cli/test_merge_html.sh) and the
merge benchmark (bench/merge.sh). Deterministic: the same flags, the same bytes.
"""
import argparse
import json
import os
import sys

REGION = "us-east-1"
JOB = "nc-synthetic-job"
PORT = 7191
NAMES = [f"s3.{REGION}.amazonaws.com", f"nc-input-bucket.s3.{REGION}.amazonaws.com",
         f"nc-output-bucket.s3.{REGION}.amazonaws.com"] + \
        [f"{s}.{REGION}.amazonaws.com" for s in ("sts", "logs", "monitoring", "api.ecr",
                                                 "api.sagemaker", "repo", "packages",
                                                 "amazonlinux")] + \
        [f"amazonlinux-2-repos-{REGION}.s3.{REGION}.amazonaws.com",
         f"al2023-repos-{REGION}-de612dc2.s3.{REGION}.amazonaws.com"]


def timings(total, dns=0.4, connect=0.3, tls=None, first_byte=None):
    return {"dns": dns, "connect": connect, "tls": tls, "first_byte": first_byte, "total": total}


def probe(pid, kind, target, verdict="pass", outcome="ok", code="OK", message="", remediation="",
          details=None, t=None, expect="reachable"):
    return {"id": pid, "kind": kind, "target": target, "expect": expect, "verdict": verdict,
            "outcome": outcome, "code": code, "message": message, "remediation": remediation,
            "timings_ms": t or timings(1.2), "details": details or {}}


def host_ip(k):
    return f"10.20.{k // 250}.{10 + k % 250}"


def peer_probe(a, k, args):
    """algo-a's probe of algo-k."""
    me, peer = f"algo-{a}", f"algo-{k}"
    if k == args.never:
        out, inn = "refused", "missing"
    elif k == args.no_inbound:
        out, inn = "timeout", "ok"
    elif a == args.no_inbound:
        out, inn = "ok", "missing"
    elif {a, k} == set(args.pmtu):
        out, inn = "stalled", "hello_only"
    else:
        out, inn = "ok", "ok"
    d = {"address": host_ip(k), "port": PORT, "addresses": [host_ip(k)], "resolved_from": "hosts",
         "attempts": 1 if out == "ok" else 14, "outbound": out, "inbound": inn}
    if inn != "missing":
        d["inbound_address"] = host_ip(k)
    if out in ("ok", "stalled"):
        d.update({"remote_host": peer, "rtt_ms": 0.412, "rtt_min_ms": 0.301, "rtt_max_ms": 0.655})
    if out == "ok":
        d.update({"bulk_bytes": 32768, "bulk_mbps": 912.4})
    if out == "ok" and inn == "ok":
        return probe(f"peer:{peer}", "peer", peer, details=d, t=timings(38.5),
                     message=f"{me} and {peer} reach each other on port {PORT} (rtt 0.41 ms, "
                             "32 KiB at 912 Mbit/s)")
    if out == "refused":
        return probe(f"peer:{peer}", "peer", peer, "fail", "connect_refused", "PEER_REFUSED",
                     f"{peer} is up but nothing listens on port {PORT} (connection refused, 30 "
                     f"attempt(s) in 15 s): netcheck is not running there, or with another "
                     f"--peer-port; {peer} did not reach {me} either",
                     f"Run netcheck as the entrypoint on every instance of the job with the same "
                     f"--peer-port ({PORT}); if another program holds the port on {peer}, choose "
                     "another --peer-port for every host.", d, timings(15001))
    if out == "stalled":
        return probe(f"peer:{peer}", "peer", peer, "fail", "bulk_stalled", "PEER_PMTU_BLACKHOLE",
                     f"{me} reaches {peer} on port {PORT} with small packets, but the 32 KiB "
                     "transfer stalled (83984 bytes written, 0 acknowledged): large packets "
                     "vanish (path-MTU black hole)",
                     "Allow ICMP 'fragmentation needed' (type 3, code 4) in the job's security "
                     "group and in the network ACLs of its subnets.", d, timings(15002))
    if out == "timeout":
        msg = (f"{me} cannot reach {peer} on port {PORT}: TCP connect timed out (SYN "
               f"unanswered) on 4 attempt(s) in 15 s ({peer} reaches {me})")
        frm, to = me, peer
    else:
        msg = (f"{peer} cannot reach {me} on port {PORT} ({me} reaches {peer}): inbound from "
               f"{peer} blocked")
        frm, to = peer, me
    return probe(f"peer:{peer}", "peer", peer, "fail", "connect_timeout" if out == "timeout"
                 else "inbound_missing", "PEER_BLOCKED", msg,
                 f"Allow inbound TCP {PORT} from {frm}'s subnet in the network ACL of {to}'s "
                 f"subnet, and outbound TCP {PORT} to {to}'s subnet in the network ACL of {frm}'s "
                 "subnet, with the replies on ports 1024-65535 both ways.", d, timings(15003))


def report(a, args):
    me = f"algo-{a}"
    hosts = [f"algo-{k}" for k in range(1, args.hosts + 1)]
    probes = [probe("env:network", "env", "network", details={"see": "environment",
                                                               "isolated": False}),
              probe("creds:container", "creds", "169.254.170.2", outcome="http_200",
                    message="credentials from the container endpoint (role SageMakerRole), "
                            "expiring in 5 h 59 min",
                    details={"source": "container", "http_status": 200})]
    for n in NAMES:
        probes.append(probe(f"dns:{n}", "dns", n, outcome="resolved",
                            message=f"{n} resolved to 198.19.1.10 (outside the VPC) via 10.20.0.2",
                            details={"servers": [{"server": "10.20.0.2", "a": {
                                "status": "resolved", "rcode": "NOERROR",
                                "answers": ["198.19.1.10"], "latency_ms": 0.8}, "aaaa": {
                                "status": "nodata", "rcode": "NOERROR", "answers": [],
                                "latency_ms": 0.7}}], "source": "dns",
                                "addresses": [{"address": "198.19.1.10", "class": "outside"}]}))
    for b in ("nc-input-bucket", "nc-output-bucket"):
        if a == args.s3_no_route:
            probes.append(probe(f"s3:{b}", "s3", b, "fail", "connect_timeout", "S3_NO_ROUTE",
                                f"no answer from {b}.s3.{REGION}.amazonaws.com at 198.19.1.10 "
                                "(connect_timeout): request deadline reached",
                                "no route to S3 from this subnet: add an S3 gateway endpoint "
                                f"(com.amazonaws.{REGION}.s3) to the subnet's route table, or "
                                "check the security group's outbound rules and the network ACL "
                                "allow HTTPS (443) to the S3 prefix list",
                                {"url": f"https://{b}.s3.{REGION}.amazonaws.com/"},
                                timings(5001, connect=None)))
        else:
            probes.append(probe(f"s3:{b}", "s3", b, outcome="http_200",
                                message=f"HEAD and ListObjectsV2 on {b} answered 200 through "
                                        "the gateway endpoint (signed)",
                                details={"http_status": 200, "region": REGION, "keys": 3},
                                t=timings(21.3, tls=4.1, first_byte=12.2)))
    for r in ("repo.us-east-1.amazonaws.com", "packages.us-east-1.amazonaws.com",
              "amazonlinux.us-east-1.amazonaws.com", "amazonlinux-2-repos-us-east-1",
              "al2023-repos-us-east-1-de612dc2"):
        probes.append(probe(f"repo:{r}", "repo", r, outcome="http_403", expect="blocked",
                            message=f"the mirror list of {r} is denied (403 AccessDenied): "
                                    "blocked as expected",
                            details={"http_status": 403, "s3_error": "AccessDenied"}))
    probes.append(probe("egress:pypi.org", "egress", "https://pypi.org/simple/",
                        outcome="http_200", expect="any",
                        message="https://pypi.org/simple/ answered 200 (the internet is "
                                "reachable, through a NAT gateway)"))
    for s in ("sts", "logs", "monitoring", "api.ecr", "api.sagemaker"):
        probes.append(probe(f"aws:{s}", "aws", f"{s}.{REGION}.amazonaws.com", outcome="tls_ok",
                            message=f"{s}.{REGION}.amazonaws.com answered TLS at 198.19.2.10"))
    probes.append(probe(f"clock:s3.{REGION}.amazonaws.com", "clock", f"s3.{REGION}.amazonaws.com",
                        outcome="measured", message="clock skew against S3: 0.2 s",
                        details={"skew_s": 0.2}))
    probes += [peer_probe(a, k, args) for k in range(1, args.hosts + 1) if k != a]
    fail = sum(p["verdict"] == "fail" for p in probes)
    return {
        "schema_version": 1, "tool": {"name": "netcheck", "version": "0.1.0"}, "host": me,
        "started_at": "2024-05-01T10:00:%02d.000Z" % (a % 5),
        "finished_at": "2024-05-01T10:00:%02d.000Z" % (20 + a % 5),
        "duration_ms": 20000, "interrupted": False,
        "job": {"name": JOB, "arn": f"arn:aws:sagemaker:{REGION}:123456789012:processing-job/{JOB}",
                "region": REGION, "instance_count": args.hosts, "current_host": me, "hosts": hosts},
        "environment": {
            "interfaces": [{"name": "lo", "up": True, "loopback": True, "mtu": 65536,
                            "addresses": ["127.0.0.1/8"]},
                           {"name": "eth0", "up": True, "loopback": False, "mtu": 9001,
                            "addresses": [host_ip(a) + "/16"]}],
            "routes": [{"destination": "0.0.0.0/0", "gateway": "10.20.0.1", "interface": "eth0",
                        "metric": 0}],
            "resolv": {"nameservers": ["10.20.0.2"], "search": ["ec2.internal"], "options": []},
            "isolated": False},
        "probes": probes,
        "summary": {"pass": len(probes) - fail, "fail": fail, "warn": 0, "skip": 0,
                    "verdict": "fail" if fail else "pass"},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--no-inbound", type=int, default=0)
    ap.add_argument("--never", type=int, default=0)
    ap.add_argument("--s3-no-route", type=int, default=0)
    ap.add_argument("--pmtu", default="0,0")
    args = ap.parse_args()
    args.pmtu = [int(x) for x in args.pmtu.split(",")]
    if not 2 <= args.hosts <= 512:
        sys.exit("synth-reports: --hosts 2..512")
    os.makedirs(args.out, exist_ok=True)
    for a in range(1, args.hosts + 1):
        if a == args.never:
            continue
        with open(os.path.join(args.out, f"algo-{a}.json"), "w") as f:
            json.dump(report(a, args), f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
