# shellcheck shell=bash
# shellcheck disable=SC2016,SC2034 # jq programs in single quotes; variables used by callers
# tests/vpc/lib.sh - the emulated VPC of netcheck's tests (sourced, never run).
#
#   vpc_up N        healthy private VPC with containers algo-1..algo-N
#   vpc_down        tears everything down (idempotent; safe from traps)
#   <fault> [ARGS]  fault toggles, applied after vpc_up (see "Fault toggles" below)
#   vpc_exec HOST CMD...   run CMD inside algo-K's network namespace
#   tb_* helpers    plain-tool checks of the test bed (dig, curl, bash /dev/tcp)
#
# Topology (addresses only from 198.18.0.0/15; no namespace has a route anywhere else):
#
#   algo-K (198.18.0.10+K) --+                         +-- svc: 198.19.1.10  S3 front (nginx TLS ->
#   resolver dns 198.18.0.2 -+-- br0 [router] br1 -----+        s3rver + fault layer, services.js)
#                   (.0.1/24)    198.19.0.1/16             198.19.2.10-14 sts logs monitoring
#                                                          api.ecr api.sagemaker; 198.19.100.10 pypi.org
#
# Every namespace name starts with VPC_PREFIX (default nc<PID>-), so parallel runs never collide
# and vpc_down deletes only its own. Every process is started inside one of those namespaces, and
# vpc_down ends exactly the processes that live in them (ip netns pids), then deletes them and
# their /etc/netns/<name> directories. Nothing touches the root namespace's network.

VPC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VPC_ID=${VPC_ID:-$$}
VPC_PREFIX=${VPC_PREFIX:-nc${VPC_ID}-}
VPC_RUN=${VPC_RUN:-${TMPDIR:-/tmp}/netcheck-vpc-${VPC_ID}}
VPC_LIFETIME=${VPC_LIFETIME:-3600} # every server of the test bed exits by itself after this

VPC_REGION=us-east-1
VPC_SUBNET=198.18.0.0/24
VPC_GW=198.18.0.1
VPC_SUBNET2=198.18.1.0/24 # the job's second subnet (second_subnet), routed by the router
VPC_GW2=198.18.1.1
VPC_DNS=198.18.0.2
VPC_CUSTOM_DNS=198.18.0.3
VPC_AWS_ONLY_DNS=198.18.0.5 # custom_dns_aws_only: a custom DNS server that serves only AWS names
VPC_PROXY=198.18.0.6        # https_proxy: the VPC's HTTPS proxy (CONNECT), port VPC_PROXY_PORT
VPC_PROXY_PORT=3128
VPC_FIREWALL_PORT=5300      # dns_firewall: where the VPC resolver's DNS Firewall listens (dns ns)
VPC_VPCE_UPLINK=198.19.3.1  # interface_endpoints: PrivateLink's side of the endpoints
VPC_AWS_GW=198.19.0.1
VPC_PEER_PORT=7191
VPC_INPUT_BUCKET=nc-input-bucket
VPC_OUTPUT_BUCKET=nc-output-bucket
VPC_OUTPUT_PREFIX=reports/ # S3Output of the output named netcheck: where the write check writes
VPC_KMS_KEY=arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
VPC_JOB_NAME=nc-test-job
VPC_ACCOUNT=123456789012
VPC_S3_HOST=s3.${VPC_REGION}.amazonaws.com
VPC_REPO_HOSTS=("repo.$VPC_REGION.amazonaws.com" "packages.$VPC_REGION.amazonaws.com"
  "amazonlinux.$VPC_REGION.amazonaws.com")
VPC_REPO_BUCKETS=("amazonlinux-2-repos-$VPC_REGION" "al2023-repos-$VPC_REGION-de612dc2")

# Each "AWS" service has its own address, so a fault can drop one.
declare -A VPC_SVC_ADDR=(
  [s3]=198.19.1.10
  [sts]=198.19.2.10
  [logs]=198.19.2.11
  [monitoring]=198.19.2.12
  [api.ecr]=198.19.2.13
  [api.sagemaker]=198.19.2.14
  [pypi]=198.19.100.10
)
VPC_AWS_SERVICES=(sts logs monitoring api.ecr api.sagemaker)
# Interface endpoints (interface_endpoints): one ENI address in the subnet per endpoint, above
# the containers' addresses (198.18.0.11-210).
declare -A VPC_VPCE_ADDR=(
  [sts]=198.18.0.230
  [logs]=198.18.0.231
  [api.ecr]=198.18.0.232
  [api.sagemaker]=198.18.0.233
  [monitoring]=198.18.0.234
  [s3]=198.18.0.235
)

# Fake, recognisable credentials: the runner fails a scenario if netcheck prints either secret.
VPC_ACCESS_KEY_ID=ASIANCTESTKEY000001
VPC_SECRET_ACCESS_KEY=ncTESTsecretDONOTPRINT0wJalrXUtnFEMIK7MDENGbPxRfiCY
VPC_SESSION_TOKEN=ncTESTtokenDONOTPRINT0IQoJb3JpZ2luX2VjEFAaCXVzLWVhc3QtMSJHMEUCIQDtestTOKENnotREALAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
VPC_SECRET_MARKERS=(ncTESTsecretDONOTPRINT ncTESTtokenDONOTPRINT)

VPC_S3_PORT=4568  # services.js, S3 front, loopback of the svc namespace
VPC_AWS_PORT=4569 # services.js, other AWS services
VPC_CTL_PORT=8099 # nginx control server (configuration generation)

VPC_NAMESPACES=()
declare -A VPC_IN_SUBNET2=() # hosts moved to the second subnet by second_subnet
VPC_HOSTS=0
VPC_SKIP_HOSTS=()
VPC_TOGGLES=()
_VPC_NGINX_GEN=0 # nginx configuration generation, served on 127.0.0.1:VPC_CTL_PORT/gen

_vpc_log() { [[ -z ${VPC_QUIET:-} ]] && printf 'vpc: %s\n' "$*" >&2; return 0; }
_vpc_die() { printf 'vpc: error: %s\n' "$*" >&2; return 1; }

vpc_ns() { # vpc_ns router|dns|svc|algo-K|K -> namespace name
  case $1 in
  algo-*) printf '%sa%s' "$VPC_PREFIX" "${1#algo-}" ;;
  [0-9]*) printf '%sa%s' "$VPC_PREFIX" "$1" ;;
  *) printf '%s%s' "$VPC_PREFIX" "$1" ;;
  esac
}
vpc_host_ip() { # algo-K (or K): 198.18.0.(10+K), or 198.18.1.(10+K) in the second subnet
  local k=${1#algo-}
  if [[ -n ${VPC_IN_SUBNET2[algo-$k]:-} ]]; then printf '198.18.1.%d' $((10 + k)); else printf '198.18.0.%d' $((10 + k)); fi
}
vpc_host_dir() { printf '%s/%s' "$VPC_RUN" "$1"; }
vpc_hosts() { local k; for ((k = 1; k <= VPC_HOSTS; k++)); do printf 'algo-%d\n' "$k"; done; }

vpc_exec() { # vpc_exec HOST|NS-SHORT CMD... : run CMD in that network namespace
  local ns
  ns=$(vpc_ns "$1")
  shift
  ip netns exec "$ns" "$@"
}

# ---- bring-up helpers ----

_vpc_need() {
  local c missing=()
  [[ $(id -u) -eq 0 ]] || _vpc_die "the emulated VPC needs root (network namespaces)" || return 1
  for c in ip nft dnsmasq nginx node openssl curl dig jq python3 unshare timeout; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  [[ -f $VPC_DIR/node_modules/s3rver/package.json ]] || missing+=("s3rver (npm ci --prefix tests/vpc)")
  [[ ${#missing[@]} -eq 0 ]] || _vpc_die "missing: ${missing[*]}"
}

_vpc_netns_add() { # _vpc_netns_add SHORT: create namespace PREFIX+SHORT with lo up
  local ns=$VPC_PREFIX$1
  ip netns add "$ns" || return 1
  VPC_NAMESPACES+=("$ns")
  printf '%s\n' "$ns" >>"$VPC_RUN/namespaces"
  mkdir -p "/etc/netns/$ns"
  # Nothing in the test bed may consult the machine's resolver configuration.
  printf 'nameserver %s\n' "$VPC_DNS" >"/etc/netns/$ns/resolv.conf"
  printf '127.0.0.1\tlocalhost\n' >"/etc/netns/$ns/hosts"
  ip -n "$ns" link set lo up || return 1
}

_vpc_spawn() { # _vpc_spawn NS-SHORT LOGNAME CMD...: start CMD in the background inside NS
  local ns=$VPC_PREFIX$1 log=$VPC_RUN/log/$2.log
  shift 2
  ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
  printf '%s %s\n' "$!" "$*" >>"$VPC_RUN/pids"
}

_vpc_wait() { # _vpc_wait DESC SECONDS CMD...: poll CMD every 50 ms until it succeeds
  local desc=$1 tries=$(($2 * 20)) i
  shift 2
  for ((i = 0; i < tries; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  _vpc_die "$desc not ready after $((tries / 20)) s (logs: $VPC_RUN/log)"
}

_vpc_veth() { # _vpc_veth NS-SHORT ROUTER-PORT BRIDGE: eth0 in NS, its peer on the router bridge
  local r=${VPC_PREFIX}router ns=$VPC_PREFIX$1
  ip -n "$r" link add "$2" type veth peer name eth0 netns "$ns" || return 1
  ip -n "$r" link set "$2" master "$3" up || return 1
  ip -n "$ns" link set eth0 mtu 1500 up || return 1
}

_vpc_cert() { # _vpc_cert NAME CA CN SAN...: EC key + certificate signed by CA into ca/NAME.{key,crt}
  local d=$VPC_RUN/ca name=$1 ca=$2 cn=$3 san="" s
  shift 3
  for s in "$@"; do san+="${san:+,}DNS:$s"; done
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$cn" \
    -keyout "$d/$name.key" -out "$d/$name.csr" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
    "$san" >"$d/$name.ext"
  openssl x509 -req -in "$d/$name.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 7 -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null
}

_vpc_ca() { # _vpc_ca NAME CN
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$VPC_RUN/ca/$1.key" -out "$VPC_RUN/ca/$1.pem" 2>/dev/null
}

_vpc_certs() {
  local r=$VPC_REGION aws_names=() s
  mkdir -p "$VPC_RUN/ca"
  _vpc_ca ca "netcheck test CA" || return 1
  _vpc_ca rogue-ca "Corp TLS Inspection CA (untrusted)" || return 1
  local s3_names=("s3.$r.amazonaws.com" "*.s3.$r.amazonaws.com" "s3.dualstack.$r.amazonaws.com"
    "*.s3.dualstack.$r.amazonaws.com" "s3.amazonaws.com" "*.s3.amazonaws.com" "${VPC_REPO_HOSTS[@]}")
  _vpc_cert s3 ca "*.s3.$r.amazonaws.com" "${s3_names[@]}" || return 1
  _vpc_cert s3-rogue rogue-ca "*.s3.$r.amazonaws.com" "${s3_names[@]}" || return 1
  for s in "${VPC_AWS_SERVICES[@]}"; do aws_names+=("$s.$r.amazonaws.com"); done
  _vpc_cert aws ca "sts.$r.amazonaws.com" "${aws_names[@]}" sts.amazonaws.com || return 1
  _vpc_cert pypi ca pypi.org pypi.org files.pythonhosted.org || return 1
  cp "$VPC_RUN/ca/ca.pem" "$VPC_RUN/ca.pem" || return 1
}

_vpc_dnsmasq_conf() { # _vpc_dnsmasq_conf NAME LISTEN-ADDR: common part of a resolver's config
  cat <<EOF
no-resolv
no-hosts
bind-interfaces
listen-address=$2
pid-file=$VPC_RUN/dns/$1.pid
user=root
group=root
log-queries
log-facility=-
local-ttl=30
EOF
}

# The VPC resolver's records, NAME -> ADDRESS (filled by vpc_up, changed by the shapes and
# faults through vpc_dns_set). A name in VPC_DNS_WILDCARD answers for every name below it too
# (S3's virtual-hosted bucket names); every other name answers for itself only.
declare -A VPC_DNS_RECORDS=()
declare -A VPC_DNS_WILDCARD=()

_vpc_dns_records() { # the healthy VPC's records
  local r=$VPC_REGION s3=${VPC_SVC_ADDR[s3]} h s
  VPC_DNS_RECORDS=()
  VPC_DNS_WILDCARD=()
  for h in "s3.$r.amazonaws.com" "s3.dualstack.$r.amazonaws.com" s3.amazonaws.com; do
    VPC_DNS_RECORDS[$h]=$s3
    VPC_DNS_WILDCARD[$h]=1
  done
  for h in "${VPC_REPO_HOSTS[@]}"; do VPC_DNS_RECORDS[$h]=$s3; done
  for s in "${VPC_AWS_SERVICES[@]}"; do VPC_DNS_RECORDS[$s.$r.amazonaws.com]=${VPC_SVC_ADDR[$s]}; done
  VPC_DNS_RECORDS[sts.amazonaws.com]=${VPC_SVC_ADDR[sts]}
  VPC_DNS_RECORDS[pypi.org]=${VPC_SVC_ADDR[pypi]}
  VPC_DNS_RECORDS[files.pythonhosted.org]=${VPC_SVC_ADDR[pypi]}
}

_vpc_dns_conf() { # the VPC resolver (AmazonProvidedDNS at .2), as the Route 53 Resolver answers
  local h
  _vpc_dnsmasq_conf vpc "$VPC_DNS"
  # The Route 53 Resolver resolves every public name, NAT or not. The emulated internet has only
  # the names below: any other name does not exist (NXDOMAIN), never dnsmasq's REFUSED (its
  # answer when it has no upstream). A known name's other types (AAAA: this VPC has no IPv6)
  # are NOERROR with no answer (NODATA).
  printf 'local=/#/\n'
  for h in $(printf '%s\n' "${!VPC_DNS_RECORDS[@]}" | sort); do
    if [[ -n ${VPC_DNS_WILDCARD[$h]:-} ]]; then
      # local= beside address=: NODATA, not NXDOMAIN, for the other types of the whole subtree
      printf 'address=/%s/%s\nlocal=/%s/\n' "$h" "${VPC_DNS_RECORDS[$h]}" "$h"
    else
      printf 'host-record=%s,%s\n' "$h" "${VPC_DNS_RECORDS[$h]}"
    fi
  done
}

# vpc_dns_set NAME=ADDR...: the VPC resolver answers NAME with ADDR from now on (AAAA: NODATA).
# dnsmasq reads its records only at start: it is restarted (by its pid, checked to live in this
# VPC's dns namespace) with the new configuration; returns once it answers the first NAME so.
vpc_dns_set() {
  local kv pid="" ns=${VPC_PREFIX}dns
  [[ $# -gt 0 ]] || _vpc_die "vpc_dns_set NAME=ADDR..." || return 1
  for kv in "$@"; do VPC_DNS_RECORDS[${kv%%=*}]=${kv#*=}; done
  _vpc_dns_conf >"$VPC_RUN/dns/vpc.conf" || return 1
  read -r pid <"$VPC_RUN/dns/vpc.pid" 2>/dev/null || true
  [[ -n $pid ]] && ip netns pids "$ns" | grep -qx -- "$pid" ||
    _vpc_die "VPC resolver: no pid of ours in $VPC_RUN/dns/vpc.pid" || return 1
  kill -TERM "$pid" || return 1
  _vpc_wait "the VPC resolver to exit" 5 _vpc_pids_gone "$pid" || return 1
  _VPC_DNS_RESTARTS=$((${_VPC_DNS_RESTARTS:-0} + 1))
  _vpc_spawn dns "dnsmasq-vpc-$_VPC_DNS_RESTARTS" timeout "$VPC_LIFETIME" dnsmasq -k --conf-file="$VPC_RUN/dns/vpc.conf"
  kv=$1
  _vpc_wait "VPC resolver (restarted)" 10 _vpc_dns_is "$VPC_DNS" "${kv%%=*}" "${kv#*=}"
}

_vpc_dns_is() { # _vpc_dns_is SERVER NAME ADDR: NAME's first A record at SERVER is ADDR
  [[ $(vpc_exec dns dig +time=1 +tries=1 +short "@$1" "$2" A 2>/dev/null | head -n 1) == "$3" ]]
}

_vpc_nginx_conf() {
  local d=$VPC_RUN/svc r=$VPC_REGION s
  mkdir -p "$d/tmp"
  cat <<EOF
# nginx of the emulated VPC's "AWS" side: TLS on each service's own address.
worker_processes 1;
daemon off;
master_process on;
user root root;
pid $d/nginx.pid;
error_log $d/nginx-error.log warn;
events { worker_connections 1024; }
http {
  log_format vpc '\$remote_addr \$server_addr "\$host" "\$request" \$status';
  access_log $d/nginx-access.log vpc;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  server_tokens off;
  default_type application/octet-stream;
  client_max_body_size 64m;
  ssl_protocols TLSv1.2 TLSv1.3;
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host \$host;
  proxy_buffering off;
  proxy_request_buffering off;
  # S3's Date (possibly skewed by a fault) and Server reach the client unchanged.
  proxy_pass_header Date;
  proxy_pass_header Server;
  upstream s3 { server 127.0.0.1:$VPC_S3_PORT; keepalive 8; }
  upstream aws { server 127.0.0.1:$VPC_AWS_PORT; keepalive 8; }

  include $d/gen.conf;

  server { # regional S3 front: the gateway endpoint's view of S3, also the repo hosts/buckets
    listen ${VPC_SVC_ADDR[s3]}:443 ssl;
    listen ${VPC_SVC_ADDR[s3]}:80;
    server_name _;
    include $d/s3-tls.conf;
    location / { proxy_pass http://s3; }
  }
EOF
  for s in "${VPC_AWS_SERVICES[@]}"; do
    cat <<EOF
  server { # $s.$r.amazonaws.com
    listen ${VPC_SVC_ADDR[$s]}:443 ssl;
    server_name _;
    ssl_certificate $VPC_RUN/ca/aws.crt;
    ssl_certificate_key $VPC_RUN/ca/aws.key;
    location / { proxy_pass http://aws; }
  }
EOF
  done
  cat <<EOF
  server { # pypi.org, the "internet" (reached through the NAT gateway)
    listen ${VPC_SVC_ADDR[pypi]}:443 ssl;
    listen ${VPC_SVC_ADDR[pypi]}:80;
    server_name _;
    ssl_certificate $VPC_RUN/ca/pypi.crt;
    ssl_certificate_key $VPC_RUN/ca/pypi.key;
    default_type text/html;
    location = / { return 200 "<!DOCTYPE html><html><body>PyPI (netcheck test bed)</body></html>\n"; }
    location /simple/ {
      return 200 "<!DOCTYPE html><html><body><a href=\"/simple/pip/\">pip</a></body></html>\n";
    }
    location / { return 404 "Not Found\n"; }
  }
}
EOF
}

_vpc_s3_tls() { # _vpc_s3_tls CERTNAME: the certificate the S3 front presents
  printf 'ssl_certificate %s/ca/%s.crt;\nssl_certificate_key %s/ca/%s.key;\n' \
    "$VPC_RUN" "$1" "$VPC_RUN" "$1" >"$VPC_RUN/svc/s3-tls.conf"
}

_vpc_nginx_gen() { # next configuration generation (also from another shell: read the file)
  local f=$VPC_RUN/svc/gen.conf cur=0
  [[ -f $f ]] && cur=$(sed -n 's/.*return 200 "\([0-9]*\).*/\1/p' "$f")
  _VPC_NGINX_GEN=$((${cur:-0} + 1))
  printf 'server { listen 127.0.0.1:%d; location = /gen { return 200 "%d\\n"; } }\n' \
    "$VPC_CTL_PORT" "$_VPC_NGINX_GEN" >"$VPC_RUN/svc/gen.conf"
}

_vpc_nginx_at_gen() {
  [[ $(vpc_exec svc curl -s -m 1 "http://127.0.0.1:$VPC_CTL_PORT/gen") == "$_VPC_NGINX_GEN" ]]
}

_vpc_pids_gone() { local p; for p in "$@"; do ! kill -0 "$p" 2>/dev/null || return 1; done; }

_vpc_nginx_reload() { # re-read the configuration; return once only new workers serve
  local master old
  _vpc_nginx_gen
  vpc_exec svc nginx -t -q -c "$VPC_RUN/svc/nginx.conf" || _vpc_die "nginx configuration rejected" || return 1
  master=$(cat "$VPC_RUN/svc/nginx.pid")
  mapfile -t old < <(ps -o pid= --ppid "$master")
  kill -HUP "$master" || return 1
  _vpc_wait "nginx reload" 5 _vpc_nginx_at_gen || return 1
  # An old worker may still accept a connection until it has handled its QUIT.
  _vpc_wait "old nginx workers to exit" 5 _vpc_pids_gone "${old[@]}"
}

_vpc_fault_set() { # _vpc_fault_set JQ-FILTER [jq args]: edit the S3 front's faults file atomically
  local f=$VPC_RUN/svc/faults.json
  jq "${@:2}" "$1" "$f" >"$f.tmp" && mv "$f.tmp" "$f"
}

_vpc_s3_seed() { # the job's buckets, s3rver's filesystem layout (KEY._S3rver_object)
  local d=$VPC_RUN/svc/s3data
  mkdir -p "$d/$VPC_INPUT_BUCKET/data" "$d/$VPC_OUTPUT_BUCKET"
  printf 'id,value\n1,0.5\n2,0.7\n' >"$d/$VPC_INPUT_BUCKET/data/part-0000.csv._S3rver_object"
  printf 'id,value\n3,0.1\n4,0.9\n' >"$d/$VPC_INPUT_BUCKET/data/part-0001.csv._S3rver_object"
  printf '{"features": ["value"]}\n' >"$d/$VPC_INPUT_BUCKET/data/schema.json._S3rver_object"
  echo '{}' >"$VPC_RUN/svc/faults.json"
  : >"$VPC_RUN/svc/writes.log"
}

# _vpc_resolv_conf NAMESERVER SEARCH [HOST...]: the resolv.conf of HOST... (default: every
# container), as the DHCP options set gives it.
_vpc_resolv_conf() {
  local ns=$1 search=$2 h
  shift 2
  while read -r h; do
    printf 'nameserver %s\nsearch %s\noptions timeout:2 attempts:2\n' "$ns" "$search" \
      >"/etc/netns/$(vpc_ns "$h")/resolv.conf" || return 1
  done < <(_vpc_targets "$@")
}

_vpc_etc_hosts() { # _vpc_etc_hosts K: algo-K's /etc/hosts names every host of the job, as SageMaker's does
  local ns j
  ns=$(vpc_ns "$1")
  {
    printf '127.0.0.1\tlocalhost\n'
    for ((j = 1; j <= VPC_HOSTS; j++)); do printf '%s\talgo-%d\n' "$(vpc_host_ip "$j")" "$j"; done
  } >"/etc/netns/$ns/hosts"
}

_vpc_host_files() { # _vpc_host_files K: /etc/netns files, SageMaker config, credentials env
  # JSON by here-document, not jq: this runs once per container (16+ at a time).
  local host=algo-$1 ns dir uuid hosts_json="" j
  ns=$(vpc_ns "$host")
  dir=$(vpc_host_dir "$host")
  mkdir -p "$dir/config" "$dir/out"
  _vpc_etc_hosts "$1"
  _vpc_resolv_conf "$VPC_DNS" ec2.internal "$host" || return 1
  for ((j = 1; j <= VPC_HOSTS; j++)); do hosts_json+="${hosts_json:+, }\"algo-$j\""; done
  cat >"$dir/config/processingjobconfig.json" <<EOF
{
  "ProcessingJobArn": "arn:aws:sagemaker:$VPC_REGION:$VPC_ACCOUNT:processing-job/$VPC_JOB_NAME",
  "ProcessingJobName": "$VPC_JOB_NAME",
  "AppSpecification": {
    "ImageUri": "$VPC_ACCOUNT.dkr.ecr.$VPC_REGION.amazonaws.com/netcheck:test",
    "ContainerEntrypoint": ["/usr/local/bin/netcheck", "--"],
    "ContainerArguments": null
  },
  "Environment": {},
  "ProcessingInputs": [
    {
      "InputName": "input-1",
      "AppManaged": false,
      "S3Input": {
        "S3Uri": "s3://$VPC_INPUT_BUCKET/data/",
        "LocalPath": "/opt/ml/processing/input",
        "S3DataType": "S3Prefix",
        "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated",
        "S3CompressionType": "None"
      }
    }
  ],
  "ProcessingOutputConfig": {
    "Outputs": [
      {
        "OutputName": "netcheck",
        "AppManaged": false,
        "S3Output": {
          "S3Uri": "s3://$VPC_OUTPUT_BUCKET/$VPC_OUTPUT_PREFIX",
          "LocalPath": "$dir/out",
          "S3UploadMode": "Continuous"
        }
      }
    ],
    "KmsKeyId": null
  },
  "ProcessingResources": {
    "ClusterConfig": {
      "InstanceCount": $VPC_HOSTS,
      "InstanceType": "ml.m5.large",
      "VolumeSizeInGB": 30,
      "VolumeKmsKeyId": null
    }
  },
  "NetworkConfig": {
    "EnableInterContainerTrafficEncryption": false,
    "EnableNetworkIsolation": false,
    "VpcConfig": {
      "SecurityGroupIds": ["sg-0a1b2c3d4e5f60001"],
      "Subnets": ["subnet-0a1b2c3d4e5f60001"]
    }
  },
  "RoleArn": "arn:aws:iam::$VPC_ACCOUNT:role/SageMakerRole",
  "StoppingCondition": {"MaxRuntimeInSeconds": 3600}
}
EOF
  cat >"$dir/config/resourceconfig.json" <<EOF
{
  "current_host": "$host",
  "current_instance_type": "ml.m5.large",
  "current_group_name": "homogeneousCluster",
  "hosts": [$hosts_json],
  "instance_groups": [
    {"instance_group_name": "homogeneousCluster", "instance_type": "ml.m5.large", "hosts": [$hosts_json]}
  ],
  "network_interface_name": "eth0"
}
EOF
  read -r uuid </proc/sys/kernel/random/uuid
  printf '%s\n' "$uuid" >"$dir/creds-uuid"
  # The environment netcheck gets (one VAR=value a line; see vpc_netcheck_env).
  printf 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/%s\n' "$uuid" >"$dir/env"
}

_vpc_container() { # _vpc_container K: namespace, eth0 on the subnet, credentials address on lo
  local k=$1 ns
  _vpc_netns_add "a$k" || return 1
  ns=$(vpc_ns "$k")
  _vpc_veth "a$k" "c$k" br0 || return 1
  ip -n "$ns" addr add "$(vpc_host_ip "$k")/24" dev eth0 || return 1
  ip -n "$ns" route add default via "$VPC_GW" || return 1
  ip -n "$ns" addr add 169.254.170.2/32 dev lo || return 1
  _vpc_host_files "$k" || return 1
}

_vpc_router() {
  local r=${VPC_PREFIX}router
  _vpc_netns_add router || return 1
  ip -n "$r" link add br0 type bridge || return 1
  ip -n "$r" link add br1 type bridge || return 1
  ip -n "$r" addr add "$VPC_GW/24" dev br0 || return 1
  ip -n "$r" addr add "$VPC_AWS_GW/16" dev br1 || return 1
  ip -n "$r" link set br0 up
  ip -n "$r" link set br1 up
  ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
  # Bridged traffic inside the subnet stays layer 2 (the pmtu fault filters it in the bridge family).
  if [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]]; then
    ip netns exec "$r" sysctl -qw net.bridge.bridge-nf-call-iptables=0 || true
  fi
  # Routing between the subnet and the "AWS/internet" side only (NAT gateway + gateway endpoint);
  # the router has no default route, and anything outside 198.18.0.0/15 is dropped.
  ip netns exec "$r" nft -f - <<'EOF' || return 1
table inet ncvpc {
  set blackhole {
    type ipv4_addr
  }
  chain forward {
    type filter hook forward priority 0; policy drop;
    ip daddr @blackhole drop
    ip saddr 198.18.0.0/15 ip daddr 198.18.0.0/15 accept
  }
}
EOF
}

_vpc_dns() {
  local ns=${VPC_PREFIX}dns
  _vpc_netns_add dns || return 1
  _vpc_veth dns dns br0 || return 1
  ip -n "$ns" addr add "$VPC_DNS/24" dev eth0 || return 1
  ip -n "$ns" route add default via "$VPC_GW"
  mkdir -p "$VPC_RUN/dns"
  _vpc_dns_conf >"$VPC_RUN/dns/vpc.conf"
  _vpc_spawn dns dnsmasq-vpc timeout "$VPC_LIFETIME" dnsmasq -k --conf-file="$VPC_RUN/dns/vpc.conf"
}

_vpc_dns_ready() { # _vpc_dns_ready SERVER NAME
  vpc_exec dns dig +time=1 +tries=1 +short "@$1" "$2" | grep -q .
}

_vpc_svc() {
  local ns=${VPC_PREFIX}svc s
  _vpc_netns_add svc || return 1
  _vpc_veth svc svc br1 || return 1
  for s in "${!VPC_SVC_ADDR[@]}"; do ip -n "$ns" addr add "${VPC_SVC_ADDR[$s]}/16" dev eth0; done
  ip -n "$ns" route add default via "$VPC_AWS_GW"
  mkdir -p "$VPC_RUN/svc"
  _vpc_s3_seed || return 1
  _vpc_s3_tls s3
  _vpc_nginx_gen
  _vpc_nginx_conf >"$VPC_RUN/svc/nginx.conf" || return 1
  _vpc_spawn svc services env NC_S3_DIR="$VPC_RUN/svc/s3data" NC_S3_PORT="$VPC_S3_PORT" \
    NC_AWS_PORT="$VPC_AWS_PORT" NC_FAULTS_FILE="$VPC_RUN/svc/faults.json" \
    NC_ACCESS_KEY_ID="$VPC_ACCESS_KEY_ID" NC_SECRET_ACCESS_KEY="$VPC_SECRET_ACCESS_KEY" \
    NC_BUCKETS="$VPC_INPUT_BUCKET,$VPC_OUTPUT_BUCKET" NC_WRITES_LOG="$VPC_RUN/svc/writes.log" \
    NODE_PATH="$VPC_DIR/node_modules" \
    timeout "$VPC_LIFETIME" node --openssl-legacy-provider "$VPC_DIR/testbed/services.js"
  _vpc_spawn svc nginx timeout "$VPC_LIFETIME" nginx -c "$VPC_RUN/svc/nginx.conf" -e "$VPC_RUN/svc/nginx-error.log"
}

_vpc_creds() { # one credentials endpoint process for every container namespace
  local k pairs=()
  for ((k = 1; k <= VPC_HOSTS; k++)); do
    pairs+=("$(vpc_ns "$k"):$(cat "$(vpc_host_dir "algo-$k")/creds-uuid")")
  done
  _vpc_spawn router creds env NC_ACCESS_KEY_ID="$VPC_ACCESS_KEY_ID" \
    NC_SECRET_ACCESS_KEY="$VPC_SECRET_ACCESS_KEY" NC_SESSION_TOKEN="$VPC_SESSION_TOKEN" \
    python3 "$VPC_DIR/testbed/creds.py" "$VPC_LIFETIME" "${pairs[@]}"
}

_vpc_http_ok() { vpc_exec "$1" curl -s -o /dev/null -m 1 "$2"; }

vpc_up() { # vpc_up N: the healthy VPC with algo-1..algo-N
  local n=${1:-2} k t0
  t0=$(date +%s.%N)
  [[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le 200 ]] || _vpc_die "vpc_up: host count 1..200, got '$n'" || return 1
  _vpc_need || return 1
  [[ $VPC_RUN =~ ^/[A-Za-z0-9._/-]+$ ]] || _vpc_die "VPC_RUN must be an absolute plain path, got '$VPC_RUN'" || return 1
  [[ ${#VPC_NAMESPACES[@]} -eq 0 ]] || vpc_down
  VPC_HOSTS=$n
  VPC_SKIP_HOSTS=()
  VPC_TOGGLES=()
  VPC_IN_SUBNET2=()
  rm -rf "$VPC_RUN"
  mkdir -p "$VPC_RUN/log"
  _vpc_dns_records
  : >"$VPC_RUN/namespaces"
  : >"$VPC_RUN/pids"
  _vpc_certs || return 1
  _vpc_router || return 1
  _vpc_dns || return 1
  _vpc_svc || return 1
  for ((k = 1; k <= n; k++)); do _vpc_container "$k" || return 1; done
  _vpc_creds || return 1
  _vpc_wait "VPC resolver" 10 _vpc_dns_ready "$VPC_DNS" "$VPC_S3_HOST" || return 1
  _vpc_wait "nginx" 10 _vpc_nginx_at_gen || return 1
  _vpc_wait "S3 front (services.js)" 15 _vpc_http_ok svc "http://127.0.0.1:$VPC_S3_PORT/" || return 1
  _vpc_wait "AWS services (services.js)" 5 _vpc_http_ok svc "http://127.0.0.1:$VPC_AWS_PORT/" || return 1
  _vpc_wait "credentials endpoint" 10 grep -q serving "$VPC_RUN/log/creds.log" || return 1
  VPC_UP_SECONDS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  _vpc_log "up: $n host(s) in ${VPC_UP_SECONDS}s (run dir $VPC_RUN, namespaces ${VPC_PREFIX}*)"
}

vpc_down() { # idempotent; ends every process inside our namespaces, deletes them
  local saved ns pids i nss=()
  saved=$(trap -p INT TERM)
  trap '' INT TERM
  if [[ -f ${VPC_RUN:-/nonexistent}/namespaces ]]; then mapfile -t nss <"$VPC_RUN/namespaces"; fi
  nss+=("${VPC_NAMESPACES[@]}")
  _vpc_ns_pids() { for ns in "${nss[@]}"; do [[ -e /run/netns/$ns ]] && ip netns pids "$ns" 2>/dev/null; done | sort -u; }
  pids=$(_vpc_ns_pids)
  if [[ -n $pids ]]; then
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do
      pids=$(_vpc_ns_pids)
      [[ -z $pids ]] && break
      sleep 0.05
    done
    if [[ -n $pids ]]; then
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
      for ((i = 0; i < 20; i++)); do [[ -z $(_vpc_ns_pids) ]] && break; sleep 0.05; done
    fi
  fi
  for ns in "${nss[@]}"; do
    [[ -n $ns && $ns == "$VPC_PREFIX"* ]] || continue
    if [[ -e /run/netns/$ns ]]; then ip netns del "$ns" 2>/dev/null || true; fi
    rm -rf "/etc/netns/${ns:?}"
  done
  VPC_NAMESPACES=()
  if [[ -d ${VPC_RUN:-} && -z ${VPC_KEEP_RUN:-} ]]; then
    rm -rf "$VPC_RUN"
  elif [[ -d ${VPC_RUN:-} ]]; then
    : >"$VPC_RUN/namespaces"
  fi
  trap - INT TERM
  [[ -n $saved ]] && eval "$saved"
  return 0
}

vpc_install_traps() { # tear down on exit, Ctrl-C and TERM (the script then exits 130/143)
  trap 'vpc_down' EXIT
  trap 'vpc_down; exit 130' INT
  trap 'vpc_down; exit 143' TERM
}

# ---- fault toggles (after vpc_up) ----

_vpc_blackhole() { # router drops (no reject) everything to these addresses: connects time out
  local a
  for a in "$@"; do
    ip netns exec "${VPC_PREFIX}router" nft add element inet ncvpc blackhole "{ $a }" || return 1
  done
}

_vpc_targets() { # hosts named in "$@", or all hosts
  if [[ $# -gt 0 ]]; then printf '%s\n' "$@"; else vpc_hosts; fi
}

no_s3_endpoint() { # no S3 gateway endpoint (and no NAT route to S3): S3 and the repo buckets time out
  _vpc_blackhole "${VPC_SVC_ADDR[s3]}"
}

no_nat() { # no NAT gateway: the internet (pypi.org) times out; AWS services stay reachable
  _vpc_blackhole "${VPC_SVC_ADDR[pypi]}"
}

internet_reachable() { # healthy NAT (for scenarios that expect isolation); nothing to change
  :
}

no_sts_logs() { # no interface endpoints for STS and CloudWatch Logs
  _vpc_blackhole "${VPC_SVC_ADDR[sts]}" "${VPC_SVC_ADDR[logs]}"
}

custom_dns() { # the DHCP options set points to a corporate resolver that knows no AWS names
  local c=$VPC_RUN/dns/custom.conf
  ip -n "${VPC_PREFIX}dns" addr add "$VPC_CUSTOM_DNS/24" dev eth0 || return 1
  {
    _vpc_dnsmasq_conf custom "$VPC_CUSTOM_DNS"
    printf 'local=/corp.example/\nhost-record=git.corp.example,198.18.0.50\n'
    printf 'local=/com/\nlocal=/org/\nlocal=/net/\nlocal=/internal/\n'
  } >"$c"
  _vpc_spawn dns dnsmasq-custom timeout "$VPC_LIFETIME" dnsmasq -k --conf-file="$c"
  _vpc_wait "custom resolver" 10 _vpc_dns_ready "$VPC_CUSTOM_DNS" git.corp.example || return 1
  _vpc_resolv_conf "$VPC_CUSTOM_DNS" corp.example
}

endpoint_policy_deny() { # endpoint_policy_deny [BUCKET]: the VPC endpoint policy does not allow BUCKET
  _vpc_fault_set '.policy_deny_bucket = $b' --arg b "${1:-$VPC_INPUT_BUCKET}"
}

wrong_region() { # wrong_region [BUCKET [REGION]]: BUCKET lives in another region (301 PermanentRedirect)
  _vpc_fault_set '.wrong_region = {bucket: $b, region: $r}' --arg b "${1:-$VPC_INPUT_BUCKET}" \
    --arg r "${2:-eu-west-1}"
}

missing_bucket() { # missing_bucket [BUCKET]: the job's bucket does not exist (s3rver's NoSuchBucket)
  local b=${1:-$VPC_INPUT_BUCKET}
  rm -rf "${VPC_RUN:?}/svc/s3data/${b:?}"
}

repos_not_blocked() { # the endpoint policy lets the Amazon Linux repositories through
  _vpc_fault_set '.repos = "open"'
}

# Writes (PutObject, DeleteObject) of signed requests, per bucket (services.js, faults.writes).
_vpc_write_fault() { # _vpc_write_fault BUCKET KEY JSON-VALUE
  _vpc_fault_set '.writes[$b][$k] = ($v | fromjson)' --arg b "$1" --arg k "$2" --arg v "$3"
}

write_denied_endpoint_policy() { # [BUCKET]: the endpoint policy allows reads of BUCKET, not s3:PutObject
  _vpc_write_fault "${1:-$VPC_OUTPUT_BUCKET}" endpoint_deny_put true
}

bucket_policy_requires_kms() { # [BUCKET]: the bucket policy denies uploads without SSE-KMS
  _vpc_write_fault "${1:-$VPC_OUTPUT_BUCKET}" require_kms true
}

kms_denied() { # [KEY [BUCKET]]: the role may not use KMS key KEY (default the job's, '*' any)
  _vpc_write_fault "${2:-$VPC_OUTPUT_BUCKET}" kms_denied "$(jq -n --arg k "${1:-$VPC_KMS_KEY}" '$k')"
}

delete_denied() { # [BUCKET]: the role may write to BUCKET but not delete (no s3:DeleteObject)
  _vpc_write_fault "${1:-$VPC_OUTPUT_BUCKET}" delete_denied true
}

object_lock() { # [BUCKET]: Object Lock with a default retention: versioned, versions undeletable
  _vpc_write_fault "${1:-$VPC_OUTPUT_BUCKET}" object_lock true
}

output_kms_key() { # [KEY]: the job's ProcessingOutputConfig.KmsKeyId (its outputs use SSE-KMS)
  local h dir
  while read -r h; do
    dir=$(vpc_host_dir "$h")
    jq --arg k "${1:-$VPC_KMS_KEY}" '.ProcessingOutputConfig.KmsKeyId = $k' \
      "$dir/config/processingjobconfig.json" >"$dir/pjc.tmp" || return 1
    mv "$dir/pjc.tmp" "$dir/config/processingjobconfig.json"
  done < <(vpc_hosts)
}

tls_interception() { # a TLS-inspecting middlebox: the S3 front presents a cert from an unknown CA
  _vpc_s3_tls s3-rogue || return 1
  _vpc_nginx_reload
}

clock_skew() { # clock_skew [SECONDS]: S3's clock differs by SECONDS (default -1200: 20 minutes)
  _vpc_fault_set '.clock_skew_s = ($s | tonumber)' --arg s "${1:--1200}"
}

signature_mismatch() { # S3 rejects every signed request with SignatureDoesNotMatch (wrong secret)
  _vpc_fault_set '.signature_mismatch = true'
}

creds_unavailable() { # creds_unavailable [HOST...]: the credentials URI names no credentials (404)
  local h
  while read -r h; do
    printf 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/%s\n' \
      "00000000-0000-4000-8000-000000000000" >"$(vpc_host_dir "$h")/env"
  done < <(_vpc_targets "$@")
}

isolated() { # isolated [HOST...]: network isolation: the container has only lo, and no credentials
  local h ns dir
  while read -r h; do
    ns=$(vpc_ns "$h")
    dir=$(vpc_host_dir "$h")
    ip -n "$ns" link del eth0 || return 1
    ip -n "$ns" addr del 169.254.170.2/32 dev lo
    : >"$dir/env"
    jq '.NetworkConfig.EnableNetworkIsolation = true' "$dir/config/processingjobconfig.json" >"$dir/pjc.tmp"
    mv "$dir/pjc.tmp" "$dir/config/processingjobconfig.json"
  done < <(_vpc_targets "$@")
}

sg_no_self_ref() { # sg_no_self_ref [HOST...]: the security group lacks the self-referencing inbound rule
  local h
  while read -r h; do
    vpc_exec "$h" nft -f - <<EOF || return 1
table inet ncsg {
  chain input {
    type filter hook input priority 0; policy accept;
    ct state established,related accept
    ip saddr $VPC_SUBNET meta l4proto tcp drop
  }
}
EOF
  done < <(_vpc_targets "$@")
}

pmtu_blackhole() { # pmtu_blackhole [HOST-A HOST-B]: packets over 1400 bytes between them vanish, no ICMP
  local a b
  a=$(vpc_host_ip "${1:-algo-1}")
  b=$(vpc_host_ip "${2:-algo-2}")
  ip netns exec "${VPC_PREFIX}router" nft -f - <<EOF || return 1
table bridge ncpmtu {
  chain forward {
    type filter hook forward priority 0; policy accept;
    ip saddr { $a, $b } ip daddr { $a, $b } ip length > 1400 drop
  }
}
EOF
}

# second_subnet HOST...: these hosts live in the job's second subnet, 198.18.1.0/24 (gateway
# 198.18.1.1, a bridge of its own on the router), as when VpcConfig.Subnets names two subnets: the
# router routes between the subnets like a VPC's local route; every /etc/hosts follows.
second_subnet() {
  local r=${VPC_PREFIX}router h ns k
  [[ $# -gt 0 ]] || _vpc_die "second_subnet HOST..." || return 1
  if ! ip -n "$r" link show br2 >/dev/null 2>&1; then
    ip -n "$r" link add br2 type bridge || return 1
    ip -n "$r" addr add "$VPC_GW2/24" dev br2 || return 1
    ip -n "$r" link set br2 up || return 1
  fi
  for h in "$@"; do
    k=${h#algo-}
    ns=$(vpc_ns "$h")
    [[ -z ${VPC_IN_SUBNET2[$h]:-} ]] || continue
    ip -n "$ns" addr del "$(vpc_host_ip "$h")/24" dev eth0 || return 1
    VPC_IN_SUBNET2[$h]=1
    ip -n "$r" link set "c$k" master br2 || return 1
    ip -n "$ns" addr add "$(vpc_host_ip "$h")/24" dev eth0 || return 1
    ip -n "$ns" route replace default via "$VPC_GW2" || return 1
  done
  for ((k = 1; k <= VPC_HOSTS; k++)); do _vpc_etc_hosts "$k" || return 1; done
}

# nacl_inbound_returns_only HOST: the network ACL of HOST's subnet admits TCP from the job's other
# subnet only to ports 32768-65535 (the replies to its own connections; Linux's ephemeral ports):
# new connections into the subnet are dropped, its hosts' own connections out still work. Like a
# real network ACL it is stateless and applies where traffic crosses the subnet's boundary (in the
# router), never between hosts of one subnet. Needs the second subnet (second_subnet first).
nacl_inbound_returns_only() {
  local h=${1:?nacl_inbound_returns_only HOST} net other
  if [[ -n ${VPC_IN_SUBNET2[$h]:-} ]]; then net=$VPC_SUBNET2 other=$VPC_SUBNET; else net=$VPC_SUBNET other=$VPC_SUBNET2; fi
  ip netns exec "${VPC_PREFIX}router" nft -f - <<EOF || return 1
table inet ncnacl_${net//[.\/]/_} {
  chain forward {
    type filter hook forward priority -10; policy accept;
    ip saddr $other ip daddr $net tcp dport 0-32767 drop
  }
}
EOF
}

peer_stranger() { # peer_stranger [HOST [PORT]]: something that is not netcheck listens on the peer port
  local h=${1:-algo-2} p=${2:-$VPC_PEER_PORT}
  _vpc_spawn "a${h#algo-}" "stranger-$h" timeout "$VPC_LIFETIME" python3 "$VPC_DIR/testbed/stranger.py" \
    "$(vpc_host_ip "$h")" "$p" "$VPC_LIFETIME"
  _vpc_wait "stranger on $h" 5 grep -q listening "$VPC_RUN/log/stranger-$h.log"
}

peer_never_starts() { # peer_never_starts [HOST...]: netcheck never starts on HOST (default algo-2)
  local h
  for h in "${@:-algo-2}"; do VPC_SKIP_HOSTS+=("$h"); done
}

# ---- VPC shapes (after vpc_up): the legitimate ways to build a SageMaker VPC ----
# vpc_up builds the NAT shape: a NAT gateway (the internet and the AWS services' public
# addresses reachable), the S3 gateway endpoint with its policy, the VPC resolver. Each toggle
# below turns it into another shape the SageMaker guide allows; scenarios combine them.

# minimal_vpc: the guide's minimal VPC: private subnets, the S3 gateway endpoint, no NAT gateway,
# no interface endpoint. Public names still resolve (the Route 53 Resolver needs no NAT) to
# public addresses no route leads to: the internet and every AWS service but S3 are black holes
# (silent drops: connects time out).
minimal_vpc() {
  local s
  _vpc_blackhole "${VPC_SVC_ADDR[pypi]}" || return 1
  for s in "${VPC_AWS_SERVICES[@]}"; do _vpc_blackhole "${VPC_SVC_ADDR[$s]}" || return 1; done
}

# The namespace "vpce" plays AWS PrivateLink: eth0 on the subnet holds one address (the ENI) per
# interface endpoint, eth1 on the AWS side (198.19.3.1) reaches the service without crossing the
# router (so a VPC without NAT reaches it too). The endpoints' security group lets TCP 443 in
# from the subnet and silently drops everything else; connections are forwarded (DNAT) to the
# service and leave from 198.19.3.1, as PrivateLink hides the client's address.
_vpc_vpce_ns() {
  local ns=${VPC_PREFIX}vpce r=${VPC_PREFIX}router
  [[ -e /run/netns/$ns ]] && return 0
  _vpc_netns_add vpce || return 1
  _vpc_veth vpce vpce br0 || return 1
  ip -n "$r" link add vpce1 type veth peer name eth1 netns "$ns" || return 1
  ip -n "$r" link set vpce1 master br1 up || return 1
  ip -n "$ns" link set eth1 mtu 1500 up || return 1
  ip -n "$ns" addr add "$VPC_VPCE_UPLINK/16" dev eth1 || return 1
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 || return 1
  ip netns exec "$ns" nft -f - <<EOF
table ip ncvpce {
  set endpoints { type ipv4_addr; }
  map service { type ipv4_addr : ipv4_addr; }
  chain security_group {
    type filter hook prerouting priority mangle; policy accept;
    iifname "eth0" ip daddr @endpoints ip saddr $VPC_SUBNET tcp dport 443 accept
    iifname "eth0" ip daddr @endpoints drop
  }
  chain to_service {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "eth0" tcp dport 443 dnat to ip daddr map @service
  }
  chain from_endpoint {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "eth1" masquerade
  }
}
EOF
}

# interface_endpoints [SERVICE...]: interface endpoints with private DNS for SERVICE (sts logs
# monitoring api.ecr api.sagemaker s3; default: sts logs api.ecr api.sagemaker). The VPC
# resolver answers the service's regional name (for s3: s3.REGION.amazonaws.com and every
# *.s3.REGION.amazonaws.com) with the endpoint's address inside the subnet; connections to it
# reach the service stand-in, whose answers (S3: the same endpoint policy) do not change.
interface_endpoints() {
  local s a ns=${VPC_PREFIX}vpce svcs=("$@") recs=()
  [[ ${#svcs[@]} -gt 0 ]] || svcs=(sts logs api.ecr api.sagemaker)
  _vpc_vpce_ns || return 1
  for s in "${svcs[@]}"; do
    a=${VPC_VPCE_ADDR[$s]:-}
    [[ -n $a ]] || _vpc_die "interface_endpoints: no endpoint for '$s' (have: ${!VPC_VPCE_ADDR[*]})" || return 1
    ip -n "$ns" addr add "$a/24" dev eth0 || return 1
    ip netns exec "$ns" nft add element ip ncvpce endpoints "{ $a }" || return 1
    ip netns exec "$ns" nft add element ip ncvpce service "{ $a : ${VPC_SVC_ADDR[$s]} }" || return 1
    if [[ $s == s3 ]]; then recs+=("$VPC_S3_HOST=$a"); else recs+=("$s.$VPC_REGION.amazonaws.com=$a"); fi
  done
  vpc_dns_set "${recs[@]}"
}

# https_proxy: the VPC's only way out is an HTTPS proxy (tests/vpc/testbed/proxy.py, HTTP CONNECT)
# at 198.18.0.6:3128 on the subnet. Its own subnet has a way out (router exception: a NAT or
# internet gateway of the proxy's subnet, and the S3 gateway endpoint with its policy); its
# security group lets TCP 3128 in from the subnet; it tunnels to pypi.org, files.pythonhosted.org
# and *.amazonaws.com on port 443 only. Use with minimal_vpc; the containers' environment
# (scenario: netcheck_env) names it in HTTPS_PROXY.
https_proxy() {
  local ns=${VPC_PREFIX}proxy
  _vpc_netns_add proxy || return 1
  _vpc_veth proxy proxy br0 || return 1
  ip -n "$ns" addr add "$VPC_PROXY/24" dev eth0 || return 1
  ip -n "$ns" route add default via "$VPC_GW" || return 1
  ip netns exec "${VPC_PREFIX}router" nft insert rule inet ncvpc forward \
    ip saddr "$VPC_PROXY" ip daddr 198.18.0.0/15 accept || return 1
  ip netns exec "$ns" nft -f - <<EOF || return 1
table inet ncproxy {
  chain security_group {
    type filter hook input priority 0; policy accept;
    iifname "eth0" ct state new ip saddr $VPC_SUBNET tcp dport $VPC_PROXY_PORT accept
    iifname "eth0" ct state new drop
  }
}
EOF
  _vpc_spawn proxy https-proxy timeout "$VPC_LIFETIME" /usr/bin/python3 "$VPC_DIR/testbed/proxy.py" \
    --listen "$VPC_PROXY:$VPC_PROXY_PORT" --lifetime "$VPC_LIFETIME" --allow pypi.org \
    --allow files.pythonhosted.org --allow .amazonaws.com
  _vpc_wait "HTTPS proxy" 5 grep -q '^proxy.py: listening' "$VPC_RUN/log/https-proxy.log"
}

# custom_dns_aws_only: the DHCP options set names a custom DNS server (198.18.0.5,
# hostile/dns.py) that serves only AWS names: it forwards A queries for *.amazonaws.com to the
# VPC resolver, answers their AAAA queries NXDOMAIN (although A has an address), and answers
# every other name REFUSED.
custom_dns_aws_only() {
  ip -n "${VPC_PREFIX}dns" addr add "$VPC_AWS_ONLY_DNS/24" dev eth0 || return 1
  _vpc_spawn dns dns-aws-only timeout "$VPC_LIFETIME" /usr/bin/python3 "$VPC_HOSTILE_DIR/dns.py" \
    --listen "$VPC_AWS_ONLY_DNS" --upstream "$VPC_DNS" --lifetime "$VPC_LIFETIME" \
    --rule '*.amazonaws.com/AAAA=nxdomain' --rule '*.amazonaws.com=relay' --rule '*=refused'
  _vpc_wait "custom DNS (AWS names only)" 10 _vpc_dns_is "$VPC_AWS_ONLY_DNS" "$VPC_S3_HOST" "${VPC_SVC_ADDR[s3]}" || return 1
  _vpc_resolv_conf "$VPC_AWS_ONLY_DNS" corp.example
}

# dns_firewall [nodata|nxdomain]: Route 53 Resolver DNS Firewall on the VPC resolver, as a
# walled garden: rule 1 ALLOW amazonaws.com, *.amazonaws.com and *.ec2.internal; rule 2 BLOCK *
# with the block response NODATA (the default) or NXDOMAIN. The containers still ask 198.18.0.2:
# its queries go (DNAT in the dns namespace) to hostile/dns.py on port 5300, which relays what
# the rules allow to the resolver.
dns_firewall() {
  local resp=${1:-nodata} ns=${VPC_PREFIX}dns
  [[ $resp == nodata || $resp == nxdomain ]] || _vpc_die "dns_firewall nodata|nxdomain, got '$resp'" || return 1
  _vpc_spawn dns dns-firewall timeout "$VPC_LIFETIME" /usr/bin/python3 "$VPC_HOSTILE_DIR/dns.py" \
    --listen "$VPC_DNS" --port "$VPC_FIREWALL_PORT" --upstream "$VPC_DNS" --lifetime "$VPC_LIFETIME" \
    --rule 'amazonaws.com=relay' --rule '*.amazonaws.com=relay' --rule '*.ec2.internal=relay' \
    --rule "*=$resp"
  _vpc_wait "DNS Firewall" 10 _hostile_log_has dns-firewall '^dns.py: listening' 1 || return 1
  ip netns exec "$ns" nft -f - <<EOF
table ip ncdnsfw {
  chain to_firewall {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "eth0" ip daddr $VPC_DNS udp dport 53 dnat to $VPC_DNS:$VPC_FIREWALL_PORT
    iifname "eth0" ip daddr $VPC_DNS tcp dport 53 dnat to $VPC_DNS:$VPC_FIREWALL_PORT
  }
}
EOF
}

vpc_toggle() { # vpc_toggle NAME [ARGS]: apply one fault toggle by name (checked against the list)
  case $1 in
  no_s3_endpoint | no_nat | internet_reachable | no_sts_logs | custom_dns | endpoint_policy_deny | \
    wrong_region | missing_bucket | repos_not_blocked | tls_interception | clock_skew | \
    signature_mismatch | creds_unavailable | isolated | sg_no_self_ref | pmtu_blackhole | \
    peer_stranger | peer_never_starts | hostile_s3 | hostile_dns | hostile_peer | second_subnet | \
    nacl_inbound_returns_only | write_denied_endpoint_policy | bucket_policy_requires_kms | \
    kms_denied | delete_denied | object_lock | output_kms_key | minimal_vpc | \
    interface_endpoints | https_proxy | custom_dns_aws_only | dns_firewall)
    "$@" || return 1
    VPC_TOGGLES+=("$*")
    ;;
  *) _vpc_die "unknown toggle '$1'" ;;
  esac
}

# ---- running netcheck in the containers ----

vpc_netcheck_env() { # vpc_netcheck_env HOST: the container's environment, one VAR=value a line
  printf 'PATH=/usr/sbin:/usr/bin:/sbin:/bin\n'
  cat "$(vpc_host_dir "$1")/env"
}

# vpc_run_netcheck NETCHECK TIMEOUT HOSTS [NETCHECK-ARGS...] [-- COMMAND...]
# Starts netcheck in every host of HOSTS (space-separated) at the same time, as the containers'
# entrypoint wrapper, with the standard flags (--sm-config-dir, --report, --ca-bundle, --timeout 5,
# --peer-wait 15, --summary text) before NETCHECK-ARGS; waits for all (each bounded by TIMEOUT s).
# Per host, in its run dir: netcheck.out, netcheck.err, netcheck.rc, out/HOST.json (the report).
vpc_run_netcheck() {
  local bin=$1 limit=$2 hosts=$3 h dir pid
  local -a envv
  local -A started=()
  shift 3
  for h in $hosts; do
    dir=$(vpc_host_dir "$h")
    mapfile -t envv < <(vpc_netcheck_env "$h")
    rm -f "$dir/netcheck.rc" "$dir/out/$h.json" "$dir/message"
    # timeout sends TERM at the limit (netcheck then writes an interrupted report), KILL 5 s later;
    # unshare gives the container its host name, like SageMaker's containers have.
    ip netns exec "$(vpc_ns "$h")" timeout -k 5 "$limit" \
      unshare --uts -- /bin/sh -c 'hostname "$0" && exec "$@"' "$h" \
      env -i "${envv[@]}" "$bin" --sm-config-dir "$dir/config" --report "$dir/out/$h.json" \
      --ca-bundle "$VPC_RUN/ca.pem" --timeout 5 --peer-wait 15 --summary text \
      --message-file "$dir/message" "$@" \
      </dev/null >"$dir/netcheck.out" 2>"$dir/netcheck.err" &
    started[$h]=$!
  done
  for h in "${!started[@]}"; do
    pid=${started[$h]}
    if wait "$pid"; then
      echo 0 >"$(vpc_host_dir "$h")/netcheck.rc"
    else
      echo $? >"$(vpc_host_dir "$h")/netcheck.rc"
    fi
  done
}

# ---- test-bed checks with plain tools (dig, curl, bash /dev/tcp) ----
# Each tb_* prints "ok"/"FAIL" lines and counts failures in TB_FAILS.

TB_FAILS=0
TB_CHECKS=0
_tb_result() { # _tb_result OK? DESC [DETAIL]
  TB_CHECKS=$((TB_CHECKS + 1))
  if [[ $1 == 0 ]]; then
    [[ -n ${TB_VERBOSE:-} ]] && printf '    ok   %s\n' "$2"
  else
    TB_FAILS=$((TB_FAILS + 1))
    printf '    FAIL %s%s\n' "$2" "${3:+ ($3)}"
  fi
  return 0
}

# tb_curl HOST [curl args...]: curl inside HOST with the test CA (or $TB_CA) and short limits.
# Prints the HTTP status; headers and body land in $VPC_RUN/tb.headers and tb.body.
tb_curl() {
  local h=$1
  shift
  vpc_exec "$h" curl -s --cacert "${TB_CA:-$VPC_RUN/ca.pem}" --connect-timeout 2 -m 3 \
    -D "$VPC_RUN/tb.headers" -o "$VPC_RUN/tb.body" -w '%{http_code}' "$@" 2>/dev/null
}

# tb_signed SERVICE: curl arguments that sign with the test credentials (SigV4).
tb_signed() {
  printf '%s\n' --aws-sigv4 "aws:amz:$VPC_REGION:$1" --user "$VPC_ACCESS_KEY_ID:$VPC_SECRET_ACCESS_KEY" \
    -H "x-amz-security-token: $VPC_SESSION_TOKEN" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD"
}

# tb_http HOST EXPECTED-STATUS [BODY-REGEX|-] [HEADER-REGEX|-] -- CURL-ARGS...
tb_http() {
  local h=$1 want=$2 body_re=${3:--} hdr_re=${4:--} got rc=0 desc
  shift 4
  [[ ${1:-} == -- ]] && shift
  desc="$h: curl ${*: -1} -> $want"
  got=$(tb_curl "$h" "$@") || true
  [[ $got == "$want" ]] || rc=1
  if [[ $rc == 0 && $body_re != - ]]; then grep -Eq -- "$body_re" "$VPC_RUN/tb.body" || rc=1; fi
  if [[ $rc == 0 && $hdr_re != - ]]; then tr -d '\r' <"$VPC_RUN/tb.headers" | grep -Eqi -- "$hdr_re" || rc=1; fi
  [[ $body_re != - ]] && desc+=" body~/$body_re/"
  [[ $hdr_re != - ]] && desc+=" header~/$hdr_re/"
  _tb_result "$rc" "$desc" "got $got: $(head -c 300 "$VPC_RUN/tb.body" 2>/dev/null | tr '\n' ' ')"
}

# tb_s3_put HOST STATUS BODY-REGEX|- KEY [CURL-ARGS...]: a signed zero-byte PutObject of KEY in
# the output bucket (extra headers in CURL-ARGS) answers STATUS; a stored object is deleted again.
tb_s3_put() {
  local h=$1 want=$2 body=$3 key=$4 url got
  local -a sig
  shift 4
  mapfile -t sig < <(tb_signed s3)
  url=https://$VPC_OUTPUT_BUCKET.$VPC_S3_HOST/$key
  tb_http "$h" "$want" "$body" - -- "${sig[@]}" -T /dev/null "$@" "$url"
  if [[ $want == 200 ]]; then
    got=$(tb_curl "$h" "${sig[@]}" -X DELETE "$url") || true
    [[ $got == 204 ]] || echo "    note: could not delete the test object $key (HTTP $got)"
  fi
}

# tb_log HOST REGEX: netcheck's standard error on HOST (after the run) has a line matching REGEX.
tb_log() {
  grep -Eq -- "$2" "$(vpc_host_dir "$1")/netcheck.err" 2>/dev/null
  _tb_result $? "$1: netcheck's log has /$2/" "$(grep -c . "$(vpc_host_dir "$1")/netcheck.err" 2>/dev/null) lines"
}

# tb_log_lacks HOST TEXT: netcheck's standard error on HOST never contains TEXT (fixed string).
tb_log_lacks() {
  ! grep -qF -- "$2" "$(vpc_host_dir "$1")/netcheck.err" 2>/dev/null
  _tb_result $? "$1: netcheck's log never shows $3" "it does"
}

# tb_dns_asked_once HOST MIN: the VPC resolver's log shows HOST asking each (type, name) at most once
# (PTR aside), and at least MIN names: netcheck asks every name once per run, the dns probe's
# answers serve the probes that connect to it. Only for a host whose checks() dig nothing.
tb_dns_asked_once() {
  local ip log worst names
  ip=$(vpc_host_ip "$1")
  log=$VPC_RUN/log/dnsmasq-vpc.log
  worst=$(grep -F " from $ip" "$log" 2>/dev/null | grep -o 'query\[[A-Z]*\] [^ ]*' | grep -v '^query\[PTR\]' |
    sort | uniq -c | sort -rn | head -n 1)
  names=$(grep -F " from $ip" "$log" 2>/dev/null | grep -o 'query\[A\] [^ ]*' | sort -u | wc -l)
  [[ ${worst%% query*} =~ ^\ *1$ && $names -ge $2 ]]
  _tb_result $? "$1: asked the VPC resolver each name once ($names names)" "most asked: ${worst:-nothing}"
}

# tb_s3_markers BUCKET COUNT: the S3 stand-in holds COUNT netcheck markers (.netcheck/ objects).
tb_s3_markers() {
  local got
  got=$(find "$VPC_RUN/svc/s3data/$1" -path '*/.netcheck/*' -name '*._S3rver_object' 2>/dev/null | wc -l)
  [[ $got == "$2" ]]
  _tb_result $? "S3 holds $2 netcheck marker(s) in $1" "found $got: $(find "$VPC_RUN/svc/s3data/$1" \
    -path '*/.netcheck/*' -name '*._S3rver_object' 2>/dev/null | sed "s|$VPC_RUN/svc/s3data/||" | head -n 3 | tr '\n' ' ')"
}

# tb_s3_writes JQ-CONDITION COUNT: COUNT writes the S3 stand-in received match the condition
# (fields: method, bucket, key, versionId, sse, kmsKeyId, contentMd5, contentLength, status, and
# marker: the key is a netcheck marker, PREFIX/.netcheck/...).
tb_s3_writes() {
  local got
  got=$(jq -c "(.marker = ((.key // \"\") | test(\"(^|/)[.]netcheck/\"))) | select($1)" \
    "$VPC_RUN/svc/writes.log" 2>/dev/null | wc -l)
  [[ $got == "$2" ]]
  _tb_result $? "S3 received $2 write(s) with $1" "got $got of: $(jq -c '[.method, .key, .sse, .status]' \
    "$VPC_RUN/svc/writes.log" 2>/dev/null | head -n 6 | tr '\n' ' ')"
}

# tb_curl_fails HOST CURL-EXIT DESC -- CURL-ARGS...: curl must fail with that exit code
# (28 timeout, 60 untrusted certificate, 6 cannot resolve, 7 refused).
tb_curl_fails() {
  local h=$1 want=$2 desc=$3 rc=0
  shift 3
  [[ ${1:-} == -- ]] && shift
  tb_curl "$h" "$@" >/dev/null || rc=$?
  [[ $rc == "$want" ]]
  _tb_result $? "$h: $desc (curl exit $want)" "curl exit $rc"
}

# tb_dns HOST NAME RCODE [A-ADDRESS|-] [TYPE] [SERVER]: dig through the container's resolver.
tb_dns() {
  local h=$1 name=$2 want=$3 addr=${4:--} type=${5:-A} server=${6:-} out status answers rc=0
  if [[ -z $server ]]; then
    server=$(awk '$1 == "nameserver" { print $2; exit }' "/etc/netns/$(vpc_ns "$h")/resolv.conf")
  fi
  out=$(vpc_exec "$h" dig +time=2 +tries=1 "@$server" "$name" "$type" 2>&1) || true
  status=$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out")
  answers=$(vpc_exec "$h" dig +time=2 +tries=1 +short "@$server" "$name" "$type" 2>/dev/null | tr '\n' ' ') || true
  [[ $status == "$want" ]] || rc=1
  if [[ $addr == - ]]; then
    [[ $want != NOERROR || $type != A || -n $answers ]] || rc=1
  elif [[ $addr == none ]]; then
    [[ -z ${answers// /} ]] || rc=1
  else
    [[ " $answers" == *" $addr "* ]] || rc=1
  fi
  _tb_result "$rc" "$h: dig @$server $name $type -> $want${addr:+ $addr}" "got ${status:-no answer}: $answers"
}

# tb_tcp HOST ADDR PORT open|refused|timeout: connect with bash /dev/tcp, 2 s limit.
tb_tcp() {
  local h=$1 addr=$2 port=$3 want=$4 got rc=0
  vpc_exec "$h" timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$addr" "$port" 2>/dev/null || rc=$?
  case $rc in
  0) got=open ;;
  124) got=timeout ;;
  *) got=refused ;;
  esac
  [[ $got == "$want" ]]
  _tb_result $? "$h: tcp $addr:$port -> $want" "got $got"
}

# tb_peer_port FROM TO open|refused|timeout: TCP to TO's peer port, from FROM.
tb_peer_port() { tb_tcp "$1" "$(vpc_host_ip "$2")" "$VPC_PEER_PORT" "$3"; }

# tb_getent HOST NAME ADDR: the C library resolves NAME to ADDR inside HOST (/etc/hosts first).
tb_getent() {
  local got
  got=$(vpc_exec "$1" getent ahostsv4 "$2" 2>/dev/null | awk 'NR == 1 { print $1 }') || true
  [[ $got == "$3" ]]
  _tb_result $? "$1: getent ahostsv4 $2 -> $3" "got '${got:-nothing}'"
}

# tb_only_lo HOST: the namespace has no interface but lo.
tb_only_lo() {
  local got
  got=$(ip -n "$(vpc_ns "$1")" -o link show | awk -F': ' '{ print $2 }' | tr '\n' ' ')
  [[ $got == "lo " ]]
  _tb_result $? "$1: only lo" "interfaces: $got"
}

# tb_bulk FROM TO BYTES completes|stall: send BYTES over TCP from FROM to TO (nc, 3 s limit).
tb_bulk() {
  local from=$1 to=$2 bytes=$3 want=$4 addr got rc=0 port=$((20000 + RANDOM % 10000))
  addr=$(vpc_host_ip "$to")
  vpc_exec "$to" timeout 5 nc -N -l "$addr" "$port" </dev/null >/dev/null 2>&1 &
  _vpc_wait "listener on $to:$port" 2 vpc_exec "$to" sh -c "ss -Hltn 'sport = :$port' | grep -q ."
  vpc_exec "$from" timeout 3 sh -c 'head -c "$0" /dev/zero | nc -N "$1" "$2" >/dev/null' "$bytes" "$addr" "$port" || rc=$?
  case $rc in 0) got=completes ;; 124) got=stall ;; *) got="error $rc" ;; esac
  wait "$!" 2>/dev/null || true
  [[ $got == "$want" ]]
  _tb_result $? "$from -> $to: $bytes bytes over TCP -> $want" "got $got"
}

# tb_banner FROM TO REGEX: what TO's peer port says first matches REGEX.
tb_banner() {
  local got
  got=$(vpc_exec "$1" timeout 3 nc -w 2 "$(vpc_host_ip "$2")" "$VPC_PEER_PORT" </dev/null 2>/dev/null | head -c 200 | tr -d '\0') || true
  grep -Eq -- "$3" <<<"$got"
  _tb_result $? "$1: $2:$VPC_PEER_PORT says /$3/" "got '$got'"
}

# tb_date_skew HOST MIN-SECONDS -- CURL-ARGS...: the response's Date is off by at least MIN-SECONDS.
tb_date_skew() {
  local h=$1 min=$2 date skew=x
  shift 2
  [[ ${1:-} == -- ]] && shift
  tb_curl "$h" "$@" >/dev/null || true
  date=$(tr -d '\r' <"$VPC_RUN/tb.headers" | sed -n 's/^[Dd]ate: //p' | head -n 1)
  if [[ -n $date ]]; then skew=$(($(date -u -d "$date" +%s) - $(date -u +%s))); fi
  [[ $skew != x && ${skew#-} -ge $min ]]
  _tb_result $? "$h: Date of ${*: -1} off by >= ${min}s" "Date '$date', skew ${skew}s"
}

# tb_creds HOST: the credentials endpoint answers the container's URI (prints no secret).
tb_creds() {
  local h=$1 uri got rc=0
  uri=$(sed -n 's/^AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=//p' "$(vpc_host_dir "$h")/env")
  got=$(vpc_exec "$h" curl -s -m 2 "http://169.254.170.2$uri" | jq -r '[.AccessKeyId, (.SecretAccessKey|length>0), (.Token|length>0), .Expiration] | @tsv' 2>/dev/null) || rc=1
  [[ $got == "$VPC_ACCESS_KEY_ID"$'\t'true$'\t'true$'\t'20* ]] || rc=1
  _tb_result "$rc" "$h: credentials endpoint 169.254.170.2$uri answers" "got '${got%%$'\t'*}'"
}

# tb_route53_resolver HOST: HOST's nameserver answers as the Route 53 Resolver does: a public
# name resolves (NAT or not), an IPv4-only name's AAAA is NOERROR with no answer (NODATA), a
# name that does not exist is NXDOMAIN (in amazonaws.com, below a known name, and anywhere
# else: never REFUSED), and TCP answers as UDP does.
tb_route53_resolver() {
  local h=$1
  tb_dns "$h" pypi.org NOERROR "${VPC_SVC_ADDR[pypi]}"
  tb_dns "$h" pypi.org NOERROR none AAAA
  tb_dns "$h" "sts.$VPC_REGION.amazonaws.com" NOERROR none AAAA
  tb_dns "$h" "$VPC_INPUT_BUCKET.$VPC_S3_HOST" NOERROR none AAAA
  tb_dns "$h" "no-such-service.$VPC_REGION.amazonaws.com" NXDOMAIN
  tb_dns "$h" no-such-host.pypi.org NXDOMAIN
  tb_dns "$h" no-such-name.example NXDOMAIN
  tb_dns_answers "$h" pypi.org 1
}

# The healthy VPC, checked from HOST: what every scenario starts from.
tb_healthy_basics() {
  local h=${1:-algo-1} s3=${VPC_SVC_ADDR[s3]} in=https://$VPC_INPUT_BUCKET.$VPC_S3_HOST
  local -a sig
  mapfile -t sig < <(tb_signed s3)
  tb_route53_resolver "$h"
  tb_dns "$h" "$VPC_S3_HOST" NOERROR "$s3"
  tb_dns "$h" "$VPC_S3_HOST" NOERROR none AAAA
  tb_dns "$h" "$VPC_INPUT_BUCKET.$VPC_S3_HOST" NOERROR "$s3"
  tb_dns "$h" "$VPC_OUTPUT_BUCKET.s3.dualstack.$VPC_REGION.amazonaws.com" NOERROR "$s3"
  tb_dns "$h" "sts.$VPC_REGION.amazonaws.com" NOERROR "${VPC_SVC_ADDR[sts]}"
  tb_creds "$h"
  tb_http "$h" 200 - 'x-amz-request-id: ' -- -I "${sig[@]}" "$in/"
  tb_http "$h" 200 '<Key>data/part-0000.csv</Key>' - -- "${sig[@]}" "$in/?list-type=2&prefix=data/&max-keys=5"
  tb_http "$h" 200 '<Name>nc-output-bucket</Name>' - -- "${sig[@]}" "https://$VPC_S3_HOST/$VPC_OUTPUT_BUCKET?list-type=2&max-keys=1"
  tb_http "$h" 403 '<Code>AccessDenied</Code>' - -- "$in/?list-type=2"
  tb_http "$h" 403 '<Code>AccessDenied</Code><Message>Access Denied</Message>' 'x-amz-request-id: ' -- \
    "https://${VPC_REPO_BUCKETS[0]}.s3.dualstack.$VPC_REGION.amazonaws.com/2/core/latest/x86_64/mirror.list"
  tb_http "$h" 403 '<Code>AccessDenied</Code>' - -- "https://${VPC_REPO_BUCKETS[1]}.$VPC_S3_HOST/core/mirrors/latest/x86_64/mirror.list"
  tb_http "$h" 403 '<Code>AccessDenied</Code>' - -- "http://${VPC_REPO_HOSTS[0]}/latest/main/mirror.list"
  tb_http "$h" 403 '<Code>AccessDenied</Code>' - -- "https://${VPC_REPO_HOSTS[1]}/latest/main/mirror.list"
  mapfile -t sig < <(tb_signed sts)
  tb_http "$h" 200 '<Arn>arn:aws:sts::123456789012:assumed-role/SageMakerRole/SageMaker</Arn>' - -- \
    "${sig[@]}" -d 'Action=GetCallerIdentity&Version=2011-06-15' "https://sts.$VPC_REGION.amazonaws.com/"
  tb_http "$h" 400 'MissingAuthenticationToken' - -- "https://logs.$VPC_REGION.amazonaws.com/"
  tb_http "$h" 200 'pip' - -- https://pypi.org/simple/
}

# ---- hostile peers (tests/vpc/hostile): servers that answer in the worst ways ----
# Each toggle starts a bounded python3 server (max connections, max bytes, VPC_LIFETIME) inside
# the emulated VPC's namespaces and points one part of the VPC at it; the rest stays healthy.

VPC_HOSTILE_DIR=$VPC_DIR/hostile
VPC_HOSTILE_S3_ADDR=(198.19.1.66 198.19.1.67) # hostile fronts of the input and output buckets
VPC_HOSTILE_DNS=198.18.0.4                    # hostile nameserver (relays what it does not spoil)

_hostile_log_has() { # _hostile_log_has LOGNAME REGEX COUNT: the log has COUNT lines matching
  [[ $(grep -Ec -- "$2" "$VPC_RUN/log/$1.log" 2>/dev/null) -ge $3 ]]
}

# hostile_s3 MODE-IN [MODE-OUT]: the job's input and output buckets resolve to hostile S3 fronts
# (hostile/s3front.py: drip_tcp drip_http drip_headers drip_body endless_chunked endless_close
# headers_many headers_line garbage garbage_record), at 198.19.1.66 and .67; the regional name,
# the repos and everything else stay on the healthy front.
hostile_s3() {
  local in=${1:?hostile_s3 MODE-IN [MODE-OUT]} out=${2:-$1} r=$VPC_REGION a b
  local svc=${VPC_PREFIX}svc ain=${VPC_HOSTILE_S3_ADDR[0]} aout=${VPC_HOSTILE_S3_ADDR[1]}
  ip -n "$svc" addr add "$ain/16" dev eth0 || return 1
  ip -n "$svc" addr add "$aout/16" dev eth0 || return 1
  _vpc_spawn svc hostile-s3 timeout "$VPC_LIFETIME" /usr/bin/python3 "$VPC_HOSTILE_DIR/s3front.py" \
    --lifetime "$VPC_LIFETIME" --cert "$VPC_RUN/ca/s3.crt" --key "$VPC_RUN/ca/s3.key" \
    "$ain:443:$in" "$aout:443:$out"
  _vpc_wait "hostile S3 fronts" 5 _hostile_log_has hostile-s3 '^s3front.py: listening' 2 || return 1
  a=$VPC_INPUT_BUCKET b=$VPC_OUTPUT_BUCKET
  vpc_dns_set "$a.s3.$r.amazonaws.com=$ain" "$a.s3.dualstack.$r.amazonaws.com=$ain" \
    "$b.s3.$r.amazonaws.com=$aout" "$b.s3.dualstack.$r.amazonaws.com=$aout"
}

# hostile_dns NAME=MODE...: the containers' resolv.conf names a hostile nameserver (198.18.0.4,
# hostile/dns.py) that spoils the answers for these names (MODE: many[:N] ptrloop badptr count
# trunc garbage qloop tcp_short tcp_silent) and relays every other query to the VPC resolver.
hostile_dns() {
  local kv h ns rules=() probe=$VPC_S3_HOST want=${VPC_SVC_ADDR[s3]}
  [[ $# -gt 0 ]] || _vpc_die "hostile_dns NAME=MODE..." || return 1
  for kv in "$@"; do
    rules+=(--rule "$kv")
    # readiness is checked with a name the rules leave alone
    [[ ${kv%%=*} == "$VPC_S3_HOST" ]] && probe=pypi.org want=${VPC_SVC_ADDR[pypi]}
  done
  ip -n "${VPC_PREFIX}dns" addr add "$VPC_HOSTILE_DNS/24" dev eth0 || return 1
  _vpc_spawn dns hostile-dns timeout "$VPC_LIFETIME" /usr/bin/python3 "$VPC_HOSTILE_DIR/dns.py" \
    --listen "$VPC_HOSTILE_DNS" --upstream "$VPC_DNS" --lifetime "$VPC_LIFETIME" \
    --first "${VPC_SVC_ADDR[s3]}" "${rules[@]}"
  _vpc_wait "hostile nameserver" 10 _vpc_dns_is "$VPC_HOSTILE_DNS" "$probe" "$want" || return 1
  while read -r h; do
    ns=$(vpc_ns "$h")
    sed -i "s/^nameserver .*/nameserver $VPC_HOSTILE_DNS/" "/etc/netns/$ns/resolv.conf" || return 1
  done < <(vpc_hosts)
}

# hostile_peer flood|silent [HOST]: HOST (default algo-2) does not run netcheck; something else
# holds its peer port (hostile/peer.py) and keeps connecting to every other host's peer port:
# flood sends random bytes without end both ways, silent accepts/connects and never says a word.
hostile_peer() {
  local mode=${1:?hostile_peer flood|silent [HOST]} h=${2:-algo-2} t targets=()
  while read -r t; do
    [[ $t == "$h" ]] || targets+=(--connect "$(vpc_host_ip "$t"):$VPC_PEER_PORT")
  done < <(vpc_hosts)
  VPC_SKIP_HOSTS+=("$h")
  _vpc_spawn "a${h#algo-}" "hostile-peer-$h" timeout "$VPC_LIFETIME" /usr/bin/python3 \
    "$VPC_HOSTILE_DIR/peer.py" --mode "$mode" --lifetime "$VPC_LIFETIME" \
    --listen "$(vpc_host_ip "$h"):$VPC_PEER_PORT" "${targets[@]}"
  _vpc_wait "hostile peer on $h" 5 _hostile_log_has "hostile-peer-$h" '^peer.py: listening' 1
}

# ---- measuring netcheck: peak RSS and wall time (opt-in) ----
# vpc_measure_wrapper BIN: prints the path of a wrapper that runs BIN under /usr/bin/time; give it
# to vpc_run_netcheck in place of BIN. Per host, the run dir gets netcheck.time ("rss_kb=N
# wall_s=S", after time's own line about a non-zero exit). The wrapper finds the run dir in the
# flags vpc_run_netcheck always passes first (--sm-config-dir DIR/config).
vpc_measure_wrapper() {
  local w=$VPC_RUN/netcheck-measured
  cat >"$w" <<EOW
#!/bin/sh
if [ "\$1" = --sm-config-dir ] && [ -d "\${2%/config}" ]; then
  exec /usr/bin/time -o "\${2%/config}/netcheck.time" -f 'rss_kb=%M wall_s=%e' '$1' "\$@"
fi
exec '$1' "\$@"
EOW
  chmod 755 "$w"
  printf '%s\n' "$w"
}

# vpc_fd_limit_wrapper BIN N: prints the path of a wrapper that runs BIN with an open-file limit
# of N (soft and hard), as a container started with a low nofile ulimit would.
vpc_fd_limit_wrapper() {
  local w=$VPC_RUN/netcheck-fd-limit
  cat >"$w" <<EOW
#!/bin/sh
ulimit -n $2 && exec '$1' "\$@"
EOW
  chmod 755 "$w"
  printf '%s\n' "$w"
}

# vpc_measure_bound [NETCHECK-ARGS...]: the wall time (s) netcheck may take with these flags after
# the runner's (--timeout 5 --peer-wait 15): --timeout + 1, or --peer-wait + 1 when larger and the
# job has more than one host (a single-host job has no peer phase).
vpc_measure_bound() {
  local timeout=5 peer=15 a prev=""
  for a in "$@"; do
    case $prev in --timeout) timeout=$a ;; --peer-wait) peer=$a ;; esac
    prev=$a
  done
  awk -v t="$timeout" -v p="$peer" -v n="$VPC_HOSTS" 'BEGIN { b = t; if (n > 1 && p > b) b = p; print b + 1 }'
}

# vpc_measure_read HOST: "RSS_KB WALL_S" of HOST's last measured run (nothing when unmeasured).
vpc_measure_read() {
  sed -n 's/^rss_kb=\([0-9]*\) wall_s=\([0-9.]*\)$/\1 \2/p' "$(vpc_host_dir "$1")/netcheck.time" 2>/dev/null | tail -n 1
}

# vpc_measure_judge RSS-LIMIT-KB WALL-LIMIT-S HOST...: one reason a line for a host whose netcheck
# was not measured, peaked at RSS-LIMIT-KB or more, or ran longer than WALL-LIMIT-S.
vpc_measure_judge() {
  local rss_max=$1 wall_max=$2 h rss wall
  shift 2
  for h in "$@"; do
    read -r rss wall < <(vpc_measure_read "$h") || true
    if [[ -z ${rss:-} ]]; then
      echo "$h: netcheck was not measured (no $(vpc_host_dir "$h")/netcheck.time)"
      continue
    fi
    [[ $rss -lt $rss_max ]] || echo "$h: peak RSS ${rss} KiB, want under ${rss_max} KiB"
    awk -v w="$wall" -v m="$wall_max" 'BEGIN { exit !(w <= m) }' ||
      echo "$h: netcheck ran ${wall} s, want at most ${wall_max} s"
  done
}

# vpc_measure_note HOST...: "rss 9.8 MiB 5.1 s" per measured host, for the verdict line.
vpc_measure_note() {
  local h rss wall out=""
  for h in "$@"; do
    read -r rss wall < <(vpc_measure_read "$h") || continue
    out+="${out:+, }$h rss $(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }') MiB ${wall} s"
  done
  printf '%s' "$out"
}

# ---- test-bed checks of the hostile peers ----

# tb_stream HOST MIN-BYTES -- CURL-ARGS...: a request streams at least MIN-BYTES within 2 s.
tb_stream() {
  local h=$1 min=$2 got
  shift 2
  [[ ${1:-} == -- ]] && shift
  got=$(vpc_exec "$h" sh -c 'm=$1; shift; curl -s --cacert "$0" -m 2 "$@" | head -c "$m" | wc -c' \
    "${TB_CA:-$VPC_RUN/ca.pem}" "$min" "$@" 2>/dev/null) || true
  [[ ${got:-0} -ge $min ]]
  _tb_result $? "$h: curl ${*: -1} streams at least $min bytes in 2 s" "got ${got:-0} bytes"
}

_tb_nameserver() { awk '$1 == "nameserver" { print $2; exit }' "/etc/netns/$(vpc_ns "$1")/resolv.conf"; }

# tb_dns_answers HOST NAME COUNT: over TCP, NAME's A answer carries COUNT records.
tb_dns_answers() {
  local h=$1 name=$2 want=$3 server got
  server=$(_tb_nameserver "$h")
  got=$(vpc_exec "$h" dig +time=2 +tries=1 +tcp "@$server" "$name" A 2>&1 |
    sed -n 's/.*ANSWER: \([0-9]*\),.*/\1/p') || true
  [[ $got == "$want" ]]
  _tb_result $? "$h: dig +tcp @$server $name -> $want A records" "got '${got:-no answer}'"
}

# tb_dns_truncated HOST NAME: over UDP (no EDNS, 512 bytes), NAME's A answer has the TC flag.
tb_dns_truncated() {
  local h=$1 name=$2 server flags
  server=$(_tb_nameserver "$h")
  flags=$(vpc_exec "$h" dig +time=2 +tries=1 +noedns +ignore "@$server" "$name" A 2>&1 |
    sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p') || true
  [[ " $flags " == *" tc "* ]]
  _tb_result $? "$h: dig +notcp @$server $name -> TC flag" "flags '${flags:-no answer}'"
}

# tb_dns_broken HOST NAME REGEX [DIG-ARGS...]: dig's complaint about NAME's answer matches REGEX.
tb_dns_broken() {
  local h=$1 name=$2 re=$3 server out
  shift 3
  server=$(_tb_nameserver "$h")
  out=$(vpc_exec "$h" dig +time=2 +tries=1 "$@" "@$server" "$name" A 2>&1) || true
  grep -Eq -- "$re" <<<"$out"
  _tb_result $? "$h: dig @$server $name -> /$re/" "got: $(grep -E '^;; (Got|Warning|communications|flags)' <<<"$out" | head -n 2 | tr '\n' ' ')"
}

# tb_peer_talk FROM TO flood|silent: what TO's peer port sends in 2 s: over 1 MB, or nothing.
tb_peer_talk() {
  local got want=$3 rc=0
  got=$(vpc_exec "$1" timeout 4 sh -c 'nc -w 2 "$0" "$1" </dev/null 2>/dev/null | head -c 1000000 | wc -c' \
    "$(vpc_host_ip "$2")" "$VPC_PEER_PORT") || true
  case $want in
  flood) [[ ${got:-0} -ge 1000000 ]] || rc=1 ;;
  silent) [[ ${got:-x} == 0 ]] || rc=1 ;;
  esac
  _tb_result "$rc" "$1: $2:$VPC_PEER_PORT is $want" "got ${got:-?} bytes"
}
