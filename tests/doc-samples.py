#!/usr/bin/python3
"""doc-samples.py - the sample output in README.md and docs/*.md is real output
of this version: each sample block is compared with what netcheck printed in
an emulated-VPC scenario (tests/vpc).

A sample is a fenced block right after a marker:

    <!-- sample: SCENARIO HOST stderr|message [only=REGEX] -->
    ```text
    ...
    ```

stderr is netcheck's summary on standard error, message the --message-file
line (--on-fail abort); only=REGEX keeps the lines that match. Compared modulo
what differs from run to run and from SageMaker: durations ("5007 ms") and the
report's local path ("; report /PATH": the docs show SageMaker's path; an S3 URI
is compared as it is). A line that looks like netcheck's output outside a
sample block is an error: it could not be checked.

  tests/doc-samples.py [--results DIR] [--update] [FILE...]

--results DIR reads the scenarios' output from DIR (run-scenarios.sh's
VPC_RESULTS; `make test` passes tests/vpc/results); without it the scenarios
the samples name are run first (root, a minute or two; NETCHECK names the
binary, default ./netcheck). --update rewrites the sample blocks with the real
output (keeping each block's report path): run it after changing what netcheck
prints, and review the diff. Exit 0 when every sample matches.
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = re.compile(
    r"<!-- sample: (?P<scenario>[a-z0-9_]+) (?P<host>[a-z0-9-]+) (?P<what>stderr|message)"
    r"(?: only=(?P<only>\S+))? -->\n```text\n(?P<body>.*?)^```\n", re.S | re.M)
DEFAULT_FILES = ["README.md"] + sorted(
    os.path.join("docs", f) for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md"))
REPORT = re.compile(r"; report /\S+")
# What looks like netcheck's summary or message line: outside a sample block
# it could not be checked, so it is an error.
OUTPUT_LIKE = re.compile(r"^ *netcheck( [a-z0-9-]+)?: (FAIL|WARN|verdict|info:|[A-Z][A-Z0-9_]+ )", re.M)


def normalise(line):
    line = re.sub(r"\b\d+ ms\b", "N ms", line)
    return REPORT.sub("; report /PATH", line)


def real_lines(results, m):
    name = f"{m['host']}.{m['what']}"
    path = os.path.join(results, m["scenario"], name)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        return None, f"{path}: {e.strerror} (did scenario {m['scenario']} run?)"
    lines = [l for l in text.splitlines() if l.startswith("netcheck")]
    if m["only"]:
        lines = [l for l in lines if re.search(m["only"], l)]
    if not lines:
        return None, f"{path}: no line{' matching ' + m['only'] if m['only'] else ''}"
    return lines, None


def run_scenarios(names, results):
    env = dict(os.environ, VPC_RESULTS=results)
    env.setdefault("NETCHECK", os.path.join(ROOT, "netcheck"))
    r = subprocess.run([os.path.join(ROOT, "tests/vpc/run-scenarios.sh")] + sorted(names), env=env,
                       cwd=ROOT)
    if r.returncode:
        print("doc-samples: the scenarios failed; their output is not a sample", file=sys.stderr)
        sys.exit(1)


def main(argv):
    results, update, files = None, False, []
    i = 0
    while i < len(argv):
        if argv[i] == "--results":
            results = argv[i + 1]
            i += 1
        elif argv[i] == "--update":
            update = True
        elif argv[i].startswith("-"):
            sys.exit(__doc__)
        else:
            files.append(argv[i])
        i += 1
    files = files or DEFAULT_FILES
    texts = {f: open(os.path.join(ROOT, f), encoding="utf-8").read() for f in files}
    samples = [(f, m) for f, t in texts.items() for m in MARKER.finditer(t)]
    if not samples:
        sys.exit("doc-samples: no sample block in " + " ".join(files))
    tmp = None
    if results is None:
        tmp = tempfile.TemporaryDirectory(prefix="nc-samples.")
        results = tmp.name
        run_scenarios({m["scenario"] for _, m in samples}, results)

    bad = 0
    for f, text in texts.items():
        rest = MARKER.sub("", text)
        for m in OUTPUT_LIKE.finditer(rest):
            line = rest[m.start():rest.find("\n", m.start())]
            print(f"FAIL {f}: output without a sample marker (it cannot be checked): {line[:100]}")
            bad += 1
    for f in files:
        text, out, pos = texts[f], [], 0
        for m in MARKER.finditer(text):
            where = f"{f}:{text.count(chr(10), 0, m.start()) + 1}"
            real, err = real_lines(results, m)
            shown = m["body"].splitlines()
            if err:
                print(f"FAIL {where}: {err}")
                bad += 1
                continue
            if [normalise(l) for l in shown] == [normalise(l) for l in real]:
                print(f"ok   {where}: {m['scenario']} {m['host']} {m['what']} ({len(real)} lines)")
                continue
            if update:
                keep = next((REPORT.search(l).group(0) for l in shown if REPORT.search(l)),
                            f"; report /opt/ml/processing/netcheck/{m['host']}.json")
                new = "\n".join(REPORT.sub(keep, l) for l in real) + "\n"
                out.append(text[pos:m.start("body")] + new)
                pos = m.end("body")
                print(f"upd  {where}: {m['scenario']} {m['host']} {m['what']}")
                continue
            bad += 1
            print(f"FAIL {where}: differs from {m['scenario']}/{m['host']}.{m['what']}:")
            for l in shown:
                print(f"       doc:  {l}")
            for l in real:
                print(f"       real: {l}")
        if update and out:
            with open(os.path.join(ROOT, f), "w", encoding="utf-8") as fh:
                fh.write("".join(out) + text[pos:])
    print(f"doc-samples: {len(samples)} samples, {bad} problems"
          + ("" if not bad else " (tests/doc-samples.py --update rewrites them)"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
