#!/usr/bin/env bash
# Documentation contract tests: the man page, README.md and `netcheck --help`
# agree flag for flag; the man page renders without a groff warning; every
# diagnosis code of include/netcheck/diag.h has an explain page, a schema
# entry, a section in docs/diagnoses.md and a mention in the man page; the
# SageMaker examples (examples/smoke-test-job.json and the boto3 call in
# docs/sagemaker.md) are valid CreateProcessingJob requests according to
# botocore's model of the API, and netcheck runs them as documented;
# `--summary junit` prints well-formed XML.
#
# netcheck only ever runs with --help/--dry-run/explain or inside a fresh
# network namespace with nothing but loopback (`unshare --net`).
#
# Needs: /usr/bin/python3 with python3-botocore, groff-base, man-db, jq,
# util-linux (unshare).
# Usage: NETCHECK=./netcheck tests/cli/test_docs.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init docs 0
PY=/usr/bin/python3
MAN=docs/netcheck.1
SM=docs/sagemaker.md
SMOKE=examples/smoke-test-job.json

check() { # check NAME OUTPUT-FILE: passes when the command before it succeeded
  local name=$1 rc=$2 out=$3
  if [ "$rc" -eq 0 ]; then ok "$name"; else bad "$name" "$(head -c 2000 "$out")"; fi
}

# Runs netcheck isolated from every network, bounded in time.
ncx() { timeout 60 unshare --net "$NC" "$@"; }

# Long flags in a text: --word[-word...]
long_flags() { grep -oE -- '--[a-z][a-z0-9]*(-[a-z0-9]+)*' | sort -u; }

# The man page source with roff's escaped hyphens made plain.
man_text() { sed -e 's/\\-/-/g' -e 's/\\(aq/'"'"'/g' "$MAN"; }

for tool in "$PY" groff man jq unshare; do
  command -v "$tool" >/dev/null || bad "tool $tool" "missing (install python3-botocore, groff-base, man-db, jq, util-linux)"
done

# ---- flags: --help, the man page and README.md ----
help=$("$NC" --help); rc=$?
[ $rc -eq 0 ] && [ -n "$help" ] && ok "--help exits 0" || bad "--help" "rc=$rc"
help_flags=$(long_flags <<<"$help")
man_flags=$(man_text | long_flags)
# What the man page documents: everything outside its example blocks (.EX/.EE
# hold other programs' commands too: COPY --from, aws s3 cp --recursive) ...
man_doc_flags=$(man_text | sed '/^\.EX/,/^\.EE/d' | long_flags)
# ... and the flags of the netcheck command lines inside them.
man_example_flags=$(man_text | sed -n '/^\.EX/,/^\.EE/p' | grep -E '^(netcheck|[^ ]+ \| netcheck)( |$)' | long_flags)
readme_flags=$(long_flags <README.md)

missing=$(comm -23 <(echo "$help_flags") <(echo "$man_flags") | tr '\n' ' ')
[ -z "$missing" ] && ok "every long flag of --help is in the man page ($(wc -l <<<"$help_flags") flags)" \
  || bad "flags missing from $MAN" "$missing"
missing=$(comm -23 <(echo "$help_flags") <(echo "$readme_flags") | tr '\n' ' ')
[ -z "$missing" ] && ok "every long flag of --help is in README.md" || bad "flags missing from README.md" "$missing"
extra=$(comm -13 <(echo "$help_flags") <(echo "$man_doc_flags") | tr '\n' ' ')
[ -z "$extra" ] && ok "every flag the man page documents exists in --help" || bad "man page flags unknown to --help" "$extra"
extra=$(comm -13 <(echo "$help_flags") <(echo "$man_example_flags") | tr '\n' ' ')
[ -n "$man_example_flags" ] && [ -z "$extra" ] && ok "the man page's netcheck examples use only flags of --help" \
  || bad "man page examples" "unknown flags: $extra"

# Each option of --help has its own entry in OPTIONS (a .TP tag), not just a mention.
tags=$(awk '/^\.SH OPTIONS/{o=1;next} /^\.SH /{o=0} o&&prev==".TP"{print} {prev=$0}' "$MAN" | sed 's/\\-/-/g' | long_flags)
missing=$(comm -23 <(echo "$help_flags") <(echo "$tags") | tr '\n' ' ')
[ -z "$missing" ] && ok "every long flag of --help has an entry under OPTIONS" || bad "OPTIONS entries missing" "$missing"
for short in -v -h -V; do
  grep -qE -- "^\\.BR \\\\$short \"?, \"? \\\\-\\\\-" "$MAN" || bad "short flag $short" "no '.BR \\$short \", \" ...' entry in $MAN"
done

# (No `producer | grep -q` below: with pipefail, grep -q's early exit can
# kill the producer with SIGPIPE and fail the pipeline.)
man_plain=$(man_text)

# --list-probes and --dry-run are documented where users look.
for f in --list-probes --dry-run; do
  grep -q -- "$f" "$SM" && grep -q -- "$f" README.md && grep -q -- "$f" <<<"$man_plain" \
    && ok "$f is documented in the man page, README.md and $SM" || bad "$f documentation" "missing somewhere"
done

# ---- the man page renders ----
warn=$(groff -man -Tutf8 -ww -z "$MAN" 2>&1); rc=$?
[ $rc -eq 0 ] && [ -z "$warn" ] && ok "groff -man -ww renders $MAN without a warning" || bad "groff warnings" "rc=$rc $warn"
rendered=$(MANWIDTH=100 MAN_KEEP_FORMATTING='' man -l "$MAN" 2>"$T/man.err")
if [ -n "$rendered" ] && [ ! -s "$T/man.err" ]; then
  missing=""
  for s in NAME SYNOPSIS DESCRIPTION OPTIONS PROBES REPORT "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
    grep -q "^$s\$" <<<"$rendered" || missing="$missing [$s]"
  done
  [ -z "$missing" ] && ok "man -l renders every section" || bad "man sections" "missing:$missing"
  syn=$(awk '/^SYNOPSIS$/{s=1;next} /^[A-Z]/{s=0} s' <<<"$rendered")
  grep -q 'netcheck \[OPTIONS\] \[-- COMMAND \[ARG...\]\]' <<<"$syn" && grep -q 'netcheck merge \[--json | --html FILE\]' <<<"$syn" \
    && grep -q 'netcheck explain CODE | --all' <<<"$syn" && ok "the SYNOPSIS has the run, merge and explain forms" \
    || bad "SYNOPSIS" "$syn"
else
  bad "man -l $MAN" "$(cat "$T/man.err")"
fi
env_section=$(awk '/^\.SH ENVIRONMENT/{e=1;next} /^\.SH /{e=0} e' "$MAN")
missing=""
for v in NETCHECK_SM_CONFIG_DIR NETCHECK_MESSAGE_FILE AWS_REGION AWS_DEFAULT_REGION \
         AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI \
         AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
         AWS_SESSION_TOKEN AWS_CA_BUNDLE AWS_USE_FIPS_ENDPOINT NO_COLOR; do
  grep -q "$v" <<<"$env_section" || missing="$missing $v"
done
[ -z "$missing" ] && ok "ENVIRONMENT lists every variable netcheck reads" || bad "ENVIRONMENT" "missing:$missing"
exits=$(awk '/^\.SH EXIT STATUS/{e=1;next} /^\.SH /{e=0} e' "$MAN")
missing=""
for c in '^\.B 0$' '^\.B 1$' '^\.B 2$' '^\.B 3$' "COMMAND 's" '^\.B 127$' '^\.B 126$' '128\+'; do
  grep -qE "$c" <<<"$exits" || missing="$missing [$c]"
done
[ -z "$missing" ] && ok "EXIT STATUS covers 0-3, COMMAND's, 126/127 and 128+N" || bad "EXIT STATUS" "missing:$missing"

# ---- diagnosis codes: diag.h, explain, the schema, diagnoses.md, the man page ----
codes=$(sed -n '/#define NC_DIAG_CODES/,/^$/p' include/netcheck/diag.h | grep -oE 'X\([A-Z0-9_]+\)' | sed 's/X(\(.*\))/\1/')
n=$(wc -w <<<"$codes")
[ "$n" -ge 26 ] && ok "NC_DIAG_CODES lists $n codes" || bad "NC_DIAG_CODES" "found only $n: $codes"
missing=""
for c in $codes; do
  out=$("$NC" explain "$c" 2>&1); rc=$?
  [ $rc -eq 0 ] && [ "$(wc -l <<<"$out")" -ge 3 ] || missing="$missing $c(rc=$rc)"
  lc=$(tr 'A-Z' 'a-z' <<<"$c")
  "$NC" explain "$lc" >/dev/null 2>&1 || missing="$missing $lc"
done
[ -z "$missing" ] && ok "netcheck explain CODE exits 0 with a page for every code (any case)" || bad "explain" "$missing"
"$NC" explain NO_SUCH_CODE >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "netcheck explain with an unknown code exits 2" || bad "explain unknown" "rc=$rc"
"$NC" explain --all >"$T/all.md" 2>&1; rc=$?
[ $rc -eq 0 ] && cmp -s "$T/all.md" docs/diagnoses.md && ok "netcheck explain --all prints docs/diagnoses.md" \
  || bad "explain --all" "rc=$rc, differs from docs/diagnoses.md"
schema_codes=$(jq -r '.["$defs"].code.enum[]' docs/report.schema.json 2>/dev/null | sort)
[ "$schema_codes" = "$(tr ' ' '\n' <<<"$codes" | grep . | sort)" ] && ok "docs/report.schema.json's code enum is NC_DIAG_CODES" \
  || bad "schema codes" "$(diff <(echo "$schema_codes") <(tr ' ' '\n' <<<"$codes" | grep . | sort) | tr '\n' ' ')"
md_codes=$(grep -E '^## [A-Z0-9_]+$' docs/diagnoses.md | sed 's/^## //' | sort)
[ "$md_codes" = "$(tr ' ' '\n' <<<"$codes" | grep . | sort)" ] && ok "docs/diagnoses.md has one section per code" \
  || bad "diagnoses.md sections" "$(diff <(echo "$md_codes") <(tr ' ' '\n' <<<"$codes" | grep . | sort) | tr '\n' ' ')"
missing=""
for c in $codes; do grep -qw -- "$c" "$MAN" || missing="$missing $c"; done
[ -z "$missing" ] && ok "the man page names every code" || bad "codes missing from $MAN" "$missing"
# Codes the sources use are codes of the list (a renamed code cannot hide in a probe).
used=$(cat agent/*.c probes/*.c | grep -oE '\bNC_[A-Z0-9_]+\b' | sed 's/^NC_//' | sort -u)
unknown=""
for u in $used; do
  case "$u" in
    VERDICT_*|EXPECT_*|FAM_*|PROBE_*|MAX_*|HOST_MAX|PATH_MAX|DEFAULT_*|LOG_*|ARRAY_LEN|NAME|VERSION|EXIT_*|HTTP_*|SUMMARY_*|ON_FAIL_*|CODE_COUNT|ERROR|WARN|INFO|DEBUG|SCHEMA_VERSION|DIAG_*) continue ;;
  esac
  grep -q "^${u}\$" <<<"$(tr ' ' '\n' <<<"$codes")" || unknown="$unknown $u"
done
# Only symbols that look like codes (contain a code prefix) are suspicious.
unknown=$(tr ' ' '\n' <<<"$unknown" | grep -E '^(OK|DNS_|S3_|TLS_|CLOCK_|CREDS_|REPO_|EGRESS_|AWS_|PEER_|NETWORK_|TIMEOUT_)' | tr '\n' ' ')
[ -z "${unknown// /}" ] && ok "every NC_<CODE> the sources use is in NC_DIAG_CODES" || bad "unknown codes in sources" "$unknown"

# ---- the SageMaker examples against botocore's model of CreateProcessingJob ----
cat >"$T/validate.py" <<'PY'
"""Validates CreateProcessingJob requests with botocore's service model.

botocore.validate.ParamValidator checks names, types, required members and
minimums; this also checks what it leaves to the service: enums, maximum
lengths and counts, and patterns."""
import json, re, sys
import botocore.session
import botocore.validate

model = botocore.session.get_session().get_service_model("sagemaker")
shape = model.operation_model("CreateProcessingJob").input_shape

def strict(value, s, path, errors):
    md = s.metadata
    if s.type_name == "structure" and isinstance(value, dict):
        for k, v in value.items():
            if k in s.members:
                strict(v, s.members[k], f"{path}.{k}", errors)
    elif s.type_name == "list" and isinstance(value, list):
        if "max" in md and len(value) > md["max"]:
            errors.append(f"{path}: more than {md['max']} items")
        for i, v in enumerate(value):
            strict(v, s.member, f"{path}[{i}]", errors)
    elif s.type_name == "map" and isinstance(value, dict):
        if "max" in md and len(value) > md["max"]:
            errors.append(f"{path}: more than {md['max']} entries")
        for k, v in value.items():
            strict(k, s.key, f"{path} key {k!r}", errors)
            strict(v, s.value, f"{path}[{k!r}]", errors)
    elif s.type_name == "string" and isinstance(value, str):
        if s.enum and value not in s.enum:
            errors.append(f"{path}: {value!r} is not one of {s.enum[:6]}...")
        if "max" in md and len(value) > md["max"]:
            errors.append(f"{path}: longer than {md['max']}")
        if "pattern" in md and not re.fullmatch(md["pattern"].lstrip("^").rstrip("$"), value):
            errors.append(f"{path}: {value!r} does not match {md['pattern']}")
    elif s.type_name in ("integer", "long") and isinstance(value, int):
        if "max" in md and value > md["max"]:
            errors.append(f"{path}: above {md['max']}")

def validate(params, name):
    report = botocore.validate.ParamValidator().validate(params, shape)
    errors = [report.generate_report()] if report.has_errors() else []
    strict(params, shape, "CreateProcessingJob", errors)
    if errors:
        print(f"{name}:\n  " + "\n  ".join(errors))
        return False
    return True

def netcheck_shape(params, name, want_entrypoint=None):
    """What the docs promise about every example: netcheck is the entrypoint,
    the job is in a VPC without isolation, and an output named netcheck."""
    errs = []
    ep = params["AppSpecification"].get("ContainerEntrypoint", [])
    if not ep or ep[0] != "/usr/local/bin/netcheck":
        errs.append(f"ContainerEntrypoint does not start with netcheck: {ep}")
    if want_entrypoint is not None and ep != want_entrypoint:
        errs.append(f"ContainerEntrypoint is {ep}, want {want_entrypoint}")
    net = params.get("NetworkConfig", {})
    if net.get("EnableNetworkIsolation", False) is not False:
        errs.append("EnableNetworkIsolation is not false")
    vpc = net.get("VpcConfig", {})
    if not vpc.get("Subnets") or not vpc.get("SecurityGroupIds"):
        errs.append("NetworkConfig.VpcConfig lacks Subnets or SecurityGroupIds")
    outs = [o for o in params.get("ProcessingOutputConfig", {}).get("Outputs", [])
            if o.get("OutputName") == "netcheck"]
    if len(outs) != 1:
        errs.append("no ProcessingOutput named netcheck")
    elif outs[0]["S3Output"].get("S3UploadMode") != "Continuous":
        errs.append("the netcheck output is not Continuous")
    if "MaxRuntimeInSeconds" not in params.get("StoppingCondition", {}):
        errs.append("no StoppingCondition.MaxRuntimeInSeconds")
    for e in errs:
        print(f"{name}: {e}")
    return not errs
PY

cat >"$T/smoke.py" <<'PY'
import json, re, sys
sys.path.insert(0, sys.argv[1])
from validate import validate, netcheck_shape
path, doc = sys.argv[2], sys.argv[3]
params = json.load(open(path))
good = validate(params, path)
good &= netcheck_shape(params, path, ["/usr/local/bin/netcheck", "--on-fail", "abort"])
n = params["ProcessingResources"]["ClusterConfig"]["InstanceCount"]
if n < 2:
    print(f"{path}: InstanceCount {n}: the peer check needs two instances or more"); good = False
if params.get("ProcessingInputs"):
    print(f"{path}: the smoke test must have no inputs (SageMaker downloads them before netcheck)"); good = False
# Every placeholder is clearly marked and explained in the docs.
text = open(path).read()
holders = sorted(set(re.findall(r"REPLACE-WITH-[A-Z0-9-]+|111122223333", text)))
docs = open(doc).read()
for h in holders:
    if h not in docs:
        print(f"{path}: placeholder {h} is not explained in {doc}"); good = False
for k in ("RoleArn", "ImageUri", "Subnets", "SecurityGroupIds", "S3Uri"):
    for m in re.finditer(r'"%s":\s*(\[[^\]]*\]|"[^"]*")' % k, text):
        if "REPLACE-WITH-" not in m.group(1):
            print(f"{path}: {k} has no REPLACE-WITH- placeholder: {m.group(1)}"); good = False
print(f"{len(holders)} placeholders")
sys.exit(0 if good else 1)
PY

cat >"$T/snippet.py" <<'PY'
"""Finds the boto3 create_processing_job call in the fenced block that
follows the marker comment in docs/sagemaker.md, evaluates its arguments
(literals, and names bound to literals earlier in the block) and validates
them. Also: every python block compiles, every json block parses, and the
SageMaker Python SDK calls use the SDK's parameter names."""
import ast, json, re, sys
sys.path.insert(0, sys.argv[1])
from validate import validate, netcheck_shape
doc = sys.argv[2]
text = open(doc).read()
good = True

# Each block, and whether the marker "<!-- test_docs.sh: sdk 3.x -->" precedes
# it (then its SDK calls are checked against SDK 3.x, else 2.x).
blocks, v3_blocks, last = [], set(), 0
for bm in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
    if "<!-- test_docs.sh: sdk 3.x -->" in text[last:bm.start()]:
        v3_blocks.add(len(blocks))
    blocks.append((bm.group(1), bm.group(2)))
    last = bm.end()
for lang, body in blocks:
    if lang == "python":
        try:
            ast.parse(body)
        except SyntaxError as e:
            print(f"{doc}: python block does not compile: {e}"); good = False
    elif lang == "json":
        try:
            json.loads(body)
        except ValueError as e:
            print(f"{doc}: json block does not parse: {e}"); good = False

m = re.search(r"<!-- test_docs\.sh: create_processing_job -->\s*\n```python\n(.*?)^```", text, re.S | re.M)
if not m:
    print(f"{doc}: no python block after '<!-- test_docs.sh: create_processing_job -->'")
    sys.exit(1)
tree = ast.parse(m.group(1))
env = {}
for node in tree.body:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        try:
            env[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            pass

def value(node):
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return value(node.left) + value(node.right)
    if isinstance(node, ast.List):
        return [value(e) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {value(k): value(v) for k, v in zip(node.keys, node.values)}
    return ast.literal_eval(node)

calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
         and n.func.attr == "create_processing_job"]
if len(calls) != 1:
    print(f"{doc}: expected one create_processing_job call in the marked block, found {len(calls)}")
    sys.exit(1)
params = {kw.arg: value(kw.value) for kw in calls[0].keywords}
good &= validate(params, f"{doc} create_processing_job")
good &= netcheck_shape(params, f"{doc} create_processing_job")

# The SDK (2.x) signatures, from src/sagemaker/processing.py and network.py;
# used unless the sagemaker package itself is importable.
sdk = {
    "Processor": {"role", "image_uri", "instance_count", "instance_type", "entrypoint",
                  "volume_size_in_gb", "volume_kms_key", "output_kms_key",
                  "max_runtime_in_seconds", "base_job_name", "sagemaker_session", "env",
                  "tags", "network_config"},
    "ScriptProcessor": {"role", "image_uri", "command", "instance_count", "instance_type",
                        "volume_size_in_gb", "volume_kms_key", "output_kms_key",
                        "max_runtime_in_seconds", "base_job_name", "sagemaker_session", "env",
                        "tags", "network_config"},
    "NetworkConfig": {"enable_network_isolation", "security_group_ids", "subnets",
                      "encrypt_inter_container_traffic"},
    "ProcessingInput": {"source", "destination", "input_name", "s3_data_type", "s3_input_mode",
                        "s3_data_distribution_type", "s3_compression_type", "s3_input",
                        "dataset_definition", "app_managed"},
    "ProcessingOutput": {"source", "destination", "output_name", "s3_upload_mode",
                         "app_managed", "feature_store_output"},
    "run": {"inputs", "outputs", "arguments", "wait", "logs", "job_name", "experiment_config",
            "kms_key", "code"},
}
try:
    import inspect, sagemaker.processing as sp, sagemaker.network as sn
    for cls in ("Processor", "ScriptProcessor", "ProcessingInput", "ProcessingOutput"):
        sdk[cls] = set(inspect.signature(getattr(sp, cls)).parameters)
    sdk["NetworkConfig"] = set(inspect.signature(sn.NetworkConfig).parameters)
    sdk["run"] = set(inspect.signature(sp.ScriptProcessor.run).parameters) | set(
        inspect.signature(sp.Processor.run).parameters)
except ImportError:
    pass
# SDK 3.x (sagemaker-core: src/sagemaker/core/processing.py, network.py and
# shapes/shapes.py): the same Processor, ScriptProcessor and NetworkConfig;
# ProcessingInput/ProcessingOutput are the API's shapes.
sdk3 = dict(sdk)
sdk3.update({
    "ProcessingInput": {"input_name", "app_managed", "s3_input", "dataset_definition"},
    "ProcessingOutput": {"output_name", "s3_output", "feature_store_output", "app_managed"},
    "ProcessingS3Input": {"s3_uri", "local_path", "s3_data_type", "s3_input_mode",
                          "s3_data_distribution_type", "s3_compression_type"},
    "ProcessingS3Output": {"s3_uri", "local_path", "s3_upload_mode"},
    "run": {"inputs", "outputs", "arguments", "wait", "logs", "job_name", "experiment_config",
            "kms_key", "code"},
})
v3_modules = {"sagemaker.core.network", "sagemaker.core.processing", "sagemaker.core.shapes"}
sdk_calls = 0
for i, (lang, body) in enumerate(blocks):
    if lang != "python" or "create_processing_job" in body:
        continue
    table = sdk3 if i in v3_blocks else sdk
    tree = ast.parse(body)
    mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    if i in v3_blocks and not mods <= v3_modules:
        print(f"{doc}: the SDK 3.x block imports {sorted(mods - v3_modules)}"); good = False
    if i not in v3_blocks and any(m.startswith("sagemaker.core") for m in mods):
        print(f"{doc}: an SDK 3.x import in a block not marked sdk 3.x"); good = False
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        name = n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", None)
        if name not in table:
            continue
        sdk_calls += 1
        unknown = {kw.arg for kw in n.keywords} - table[name]
        if unknown:
            print(f"{doc}: {name}() has no parameter {sorted(unknown)}"); good = False
        if name == "ProcessingOutput" and any(kw.arg == "output_name" and
                isinstance(kw.value, ast.Constant) and kw.value.value == "netcheck" for kw in n.keywords):
            where = n
            if i in v3_blocks:  # the mode is in s3_output=ProcessingS3Output(...)
                where = next((kw.value for kw in n.keywords if kw.arg == "s3_output"), n)
            modes = [kw.value.value for kw in getattr(where, "keywords", []) if kw.arg == "s3_upload_mode"]
            if modes != ["Continuous"]:
                print(f"{doc}: the netcheck ProcessingOutput is not Continuous"); good = False
        if name in ("Processor", "ScriptProcessor"):
            kws = {kw.arg: kw.value for kw in n.keywords}
            first = kws.get("entrypoint" if name == "Processor" else "command")
            if not (isinstance(first, ast.List) and first.elts and isinstance(first.elts[0], ast.Constant)
                    and first.elts[0].value == "/usr/local/bin/netcheck"):
                print(f"{doc}: {name}() does not put netcheck first"); good = False
            if "network_config" not in kws:
                print(f"{doc}: {name}() has no network_config"); good = False
if not v3_blocks:
    print(f"{doc}: no block marked <!-- test_docs.sh: sdk 3.x -->"); good = False
print(f"{len(params)} request members, {sdk_calls} SDK calls checked ({len(v3_blocks)} SDK 3.x block)")
sys.exit(0 if good else 1)
PY

if "$PY" -c 'import botocore.session, botocore.validate' 2>/dev/null; then
  "$PY" "$T/smoke.py" "$T" "$SMOKE" "$SM" >"$T/out" 2>&1; check "$SMOKE is a valid CreateProcessingJob request (botocore) with marked placeholders" $? "$T/out"
  "$PY" "$T/snippet.py" "$T" "$SM" >"$T/out" 2>&1; check "the boto3 create_processing_job call in $SM is valid (botocore), its SDK calls use the SDK's names" $? "$T/out"
  # The validator catches what it should.
  jq '.ProcessingOutputConfig.Outputs[0].S3Output.S3UploadMode = "Sometimes" | .ProcessingResources.ClusterConfig.InstanceCount = "2"' \
    "$SMOKE" >"$T/broken.json"
  "$PY" "$T/smoke.py" "$T" "$T/broken.json" "$SM" >"$T/out" 2>&1
  [ $? -ne 0 ] && grep -q "Sometimes" "$T/out" && grep -qi "InstanceCount" "$T/out" \
    && ok "the validator rejects a bad enum and a wrong type" || bad "validator self-test" "$(cat "$T/out")"
else
  bad "botocore" "/usr/bin/python3 cannot import botocore (apt-get install python3-botocore)"
fi

# ---- netcheck runs the smoke test as documented ----
# processingjobconfig.json is the CreateProcessingJob request plus the ARN;
# the output's LocalPath moves into a temporary directory.
mkdir -p "$T/sm" "$T/out-netcheck"
jq --arg lp "$T/out-netcheck" '. + {ProcessingJobArn: "arn:aws:sagemaker:eu-west-1:111122223333:processing-job/netcheck-smoke-test"}
   | .ProcessingOutputConfig.Outputs[0].S3Output.LocalPath = $lp' "$SMOKE" >"$T/sm/processingjobconfig.json"
echo '{"current_host": "algo-1", "hosts": ["algo-1", "algo-2"], "network_interface_name": "eth0"}' >"$T/sm/resourceconfig.json"
mapfile -t ep < <(jq -r '.AppSpecification.ContainerEntrypoint[1:][], (.AppSpecification.ContainerArguments // [])[]' "$SMOKE")
plan=$(ncx "${ep[@]}" --sm-config-dir "$T/sm" --dry-run 2>"$T/err"); rc=$?
[ $rc -eq 0 ] && grep -q '^peer .*peer:algo-2' <<<"$plan" && grep -q 'eu-west-1' <<<"$plan" \
  && ok "netcheck accepts the smoke test's entrypoint and plans the peer check from its config" \
  || bad "smoke test dry run" "rc=$rc $(cat "$T/err") $plan"
ncx "${ep[@]}" --sm-config-dir "$T/sm" --peer-wait 1 --timeout 2 --summary none --message-file "$T/message" 2>"$T/err"; rc=$?
# unshare --net: only lo, so NETWORK_ISOLATED fails the run, as a real failure would.
if [ $rc -eq 1 ] && [ -f "$T/out-netcheck/algo-1.json" ] && [ -s "$T/message" ] && grep -q '^netcheck algo-1: NETWORK_ISOLATED env:network; report s3://REPLACE-WITH-YOUR-BUCKET/netcheck/smoke-test/algo-1.json$' "$T/message" \
   && [ "$(wc -c <"$T/message")" -le 200 ]; then
  ok "the smoke test exits 1, writes the report into the netcheck output and a one-line ExitMessage"
else
  bad "smoke test run" "rc=$rc report=$(ls "$T/out-netcheck") msg=$(cat "$T/message" 2>/dev/null) $(cat "$T/err")"
fi
jq -e '.job.name == "netcheck-smoke-test" and .job.region == "eu-west-1" and .job.instance_count == 2 and (.job.hosts | length) == 2' \
  "$T/out-netcheck/algo-1.json" >/dev/null 2>&1 && ok "the smoke test's report names the job, region, instances and hosts" \
  || bad "smoke report" "$(jq -c .job "$T/out-netcheck/algo-1.json" 2>&1)"

# ---- the SageMaker guide covers what the issue asks ----
missing=""
for s in 'COPY netcheck-' 'ENTRYPOINT \["/usr/local/bin/netcheck"' processingjobconfig.json resourceconfig.json \
         AWS_CONTAINER_CREDENTIALS_RELATIVE_URI /opt/ml/output/message ExitMessage FailureReason \
         'netcheck merge' '--on-fail abort' Continuous 'NetworkConfig(' 'entrypoint=' 'command=' \
         'create_processing_job' 'describe-processing-job' 'create-processing-job' 'smoke-test-job.json' \
         'S3_NO_ROUTE' 'S3_DENIED_ENDPOINT_POLICY' 'REPO_NOT_BLOCKED' 'PEER_BLOCKED' 'AWS_ENDPOINT_UNREACHABLE' \
         'EGRESS_BLOCKED' 'DNS_NXDOMAIN' 'al2023-repos-REGION-de612dc2' 'amazonlinux-2-repos-REGION' \
         'SDK \*\*2.x\*\*' 'sagemaker.core.processing' 'processing-job-completed-or-stopped' 'SIGKILL' \
         'examples/smoke-test.sh'; do
  grep -q -- "$s" "$SM" || missing="$missing [$s]"
done
[ -z "$missing" ] && ok "$SM covers the image, inputs, reports, abort, SDK, boto3, smoke test and VPC checklist" \
  || bad "$SM content" "missing:$missing"
# Every code the guide names exists.
unknown=""
for c in $(grep -oE '`[A-Z][A-Z0-9]*(_[A-Z0-9]+)+`' "$SM" | tr -d '`' | sort -u); do
  case "$c" in AWS_*_URI|AWS_REGION|AWS_DEFAULT_REGION|AWS_USE_FIPS_ENDPOINT|AWS_CA_BUNDLE|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_CONTAINER_*|NETCHECK_*|HTTPS_PROXY|NO_PROXY) continue ;; esac
  grep -qx "$c" <<<"$(tr ' ' '\n' <<<"$codes")" || unknown="$unknown $c"
done
[ -z "$unknown" ] && ok "every code $SM names is a real code" || bad "unknown codes in $SM" "$unknown"

# ---- job code outside /opt/ml (SageMaker reserves it) ----
reserved=$(grep -nE '(python3",? *"?|COPY [^ ]+ )/opt/ml/' README.md Dockerfile "$SM" "$MAN" examples/* 2>/dev/null | head -5)
[ -z "$reserved" ] && ok "no example puts job code under /opt/ml (README, Dockerfile, $SM, the man page, examples/)" \
  || bad "job code under /opt/ml" "$reserved"

# ---- --summary junit ----
err=$(ncx --summary junit --report none --peer-wait 1 --timeout 2 2>&1 >/dev/null); rc=$?
sed -n '/^<?xml/,/^<\/testsuite>/p' <<<"$err" >"$T/junit.xml"
if [ ! -s "$T/junit.xml" ]; then
  bad "--summary junit" "no XML on stderr (report_print_summary does not call summary_junit_print yet?): $(head -c 300 <<<"$err")"
else
  "$PY" - "$T/junit.xml" >"$T/out" 2>&1 <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuite" and root.get("name") == "netcheck", root.tag
cases = root.findall("testcase")
assert int(root.get("tests")) == len(cases) > 0, (root.get("tests"), len(cases))
fails = [c.find("failure") for c in cases if c.find("failure") is not None]
assert int(root.get("failures")) == len(fails) >= 1
assert int(root.get("skipped")) == sum(c.find("skipped") is not None for c in cases)
assert any(f.get("type") == "NETWORK_ISOLATED" and f.get("message").startswith("NETWORK_ISOLATED: ") for f in fails)
assert all(c.get("classname").startswith("netcheck.") and ":" in c.get("name") for c in cases)
print(len(cases), "testcases")
PY
  check "--summary junit prints a JUnit document that xml.etree parses" $? "$T/out"
fi

cli_finish
