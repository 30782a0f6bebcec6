#!/usr/bin/python3
"""dockerfile.py - what tests/dist/run.sh needs to know about the Dockerfile and
.dockerignore, without a Docker engine.

  dockerfile.py stages DOCKERFILE          one line per stage: NAME BASE (in order)
  dockerfile.py runs DOCKERFILE STAGE      the stage's RUN commands (shell form), one a line
  dockerfile.py workdir DOCKERFILE STAGE   the stage's last WORKDIR
  dockerfile.py copies DOCKERFILE          one line per COPY/ADD: STAGE FROM SRC... DEST
                                           (FROM is "-" for the build context)
  dockerfile.py context DOCKERIGNORE       reads paths (relative to the context root) on
                                           stdin, prints those the build context keeps

The .dockerignore matching follows Docker's rules for the patterns this project
uses: each pattern is cleaned and matched from the context root with Go's
filepath.Match syntax (*, ?, [...]) plus "**" for any number of directories; a
pattern that matches a directory excludes everything under it; "!" re-includes;
the last matching pattern wins. Anything else (an escape, a leading "/" on
Windows) makes this script fail rather than guess.
"""
import re
import sys


def instructions(path):
    """(keyword, arguments) per instruction, continuation lines joined."""
    out, cur = [], ""
    for line in open(path, encoding="utf-8"):
        s = line.rstrip("\n")
        if not cur and (not s.strip() or s.lstrip().startswith("#")):
            continue
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        cur += s
        kw, _, rest = cur.strip().partition(" ")
        out.append((kw.upper(), rest.strip()))
        cur = ""
    if cur:
        sys.exit(f"{path}: continuation at end of file")
    return out


def stages(path):
    """[(name, base, [(kw, args)...])] in order; unnamed stages get their index."""
    result = []
    for kw, args in instructions(path):
        if kw == "FROM":
            m = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+[Aa][Ss]\s+(\S+))?", args)
            if not m:
                sys.exit(f"{path}: cannot parse FROM {args}")
            result.append((m.group(2) or str(len(result)), m.group(1), []))
        elif result:
            result[-1][2].append((kw, args))
        elif kw != "ARG":
            sys.exit(f"{path}: {kw} before the first FROM")
    return result


def stage(path, name):
    for n, base, body in stages(path):
        if n == name:
            return body
    sys.exit(f"{path}: no stage {name}")


def glob_re(pattern):
    """Go filepath.Match plus '**', as a regular expression over '/'-separated paths."""
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            if pattern.startswith("/", i):  # "**/x" also matches "x"
                out = out[:-2] + "(?:.*/)?"
                i += 1
            continue
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            j = pattern.find("]", i)
            if j < 0:
                sys.exit(f"bad pattern {pattern}")
            body = pattern[i + 1:j]
            if body.startswith("^"):
                body = "!" + body[1:]
            out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
            i = j
        elif c == "\\":
            sys.exit(f"escapes are not supported here: {pattern}")
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out)


def ignore_rules(path):
    rules = []
    for line in open(path, encoding="utf-8"):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        neg = s.startswith("!")
        s = s[1:].strip() if neg else s
        s = re.sub(r"/+", "/", s).strip("/")
        s = "/".join(p for p in s.split("/") if p not in ("", "."))
        rules.append((neg, glob_re(s)))
    return rules


def kept(rules, path):
    """Docker's matcher: a path is excluded when the last rule matching it, or
    one of its parent directories, excludes it."""
    parts = path.split("/")
    excluded = False
    for neg, rx in rules:
        for n in range(1, len(parts) + 1):
            if rx.fullmatch("/".join(parts[:n])):
                excluded = not neg
                break
    return not excluded


def main(argv):
    if len(argv) >= 2 and argv[0] == "stages":
        for n, base, _ in stages(argv[1]):
            print(n, base)
    elif len(argv) == 3 and argv[0] == "runs":
        for kw, args in stage(argv[1], argv[2]):
            if kw == "RUN":
                if args.startswith("["):
                    sys.exit(f"{argv[1]}: exec-form RUN is not supported here: {args}")
                print(args)
    elif len(argv) == 3 and argv[0] == "workdir":
        wd = "/"
        for kw, args in stage(argv[1], argv[2]):
            if kw == "WORKDIR":
                wd = args
        print(wd)
    elif len(argv) == 2 and argv[0] == "copies":
        for n, _, body in stages(argv[1]):
            for kw, args in body:
                if kw not in ("COPY", "ADD"):
                    continue
                words = args.split()
                frm = "-"
                while words and words[0].startswith("--"):
                    if words[0].startswith("--from="):
                        frm = words[0][len("--from="):]
                    words.pop(0)
                print(n, frm, " ".join(words))
    elif len(argv) == 2 and argv[0] == "context":
        rules = ignore_rules(argv[1])
        for line in sys.stdin:
            p = line.rstrip("\n")
            if p and kept(rules, p):
                print(p)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
