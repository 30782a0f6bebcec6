#!/usr/bin/env bash
# tests/dist/run.sh - the release artifacts, the Dockerfile and `make install`,
# without a Docker engine. Run by `make dist-test` (part of `make test`) after
# `make static`; cheap: it reuses the static dependencies already built.
#
#   - make dist: the tarball holds exactly the release's files under
#     netcheck-VERSION-linux-x86_64/, owned by root, dated by the last commit;
#     SHA256SUMS matches; the binary is the static one, prints VERSION and its
#     libraries, and holds no path of the build tree;
#   - THIRD_PARTY_NOTICES is what scripts/third-party-notices.sh makes from the
#     libraries the static binary was built from;
#   - the Dockerfile: the default (last) stage is the netcheck image FROM
#     scratch; the builder installs the build set only and runs `make dist`;
#     its RUN lines run in a copy of the build context (.dockerignore applied,
#     in another directory) and make a byte-identical tarball (reproducible
#     across directories); every COPY finds its files; no job code in /opt/ml;
#   - the version: BASE_VERSION without a tag or without .git, the tag's
#     version on a tag, `git describe` after it (in a scratch clone);
#   - make install / make uninstall in a temporary DESTDIR: the static binary
#     when it was built, else the dynamic one, and the output says which.
# `make dist-check` (tests/dist/reproducible.sh) adds the slow proof: the
# static dependencies built anew in another directory give the same bytes.
set -uo pipefail
NETCHECK=${NETCHECK:-./netcheck-static}
. "$(dirname "$0")/../cli/lib.sh" || exit 2
cli_init dist 900
ROOT=$PWD
PY=/usr/bin/python3
DF="$PY tests/dist/dockerfile.py"
# Sub-makes start clean: not as children of the make that runs this test.
MK=(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SOURCE_DATE_EPOCH make --no-print-directory)

version=$("${MK[@]}" -s print-version)
base=$(sed -n 's/^BASE_VERSION *:= *//p' Makefile)
name=netcheck-$version-linux-x86_64
tarball=build/dist/$name.tar.gz

# ---- make dist ----
if ! "${MK[@]}" dist >"$T/dist.log" 2>&1; then
  bad "make dist" "$(tail -n 20 "$T/dist.log")"
  cli_finish
  exit 1
fi
ok "make dist writes $tarball"
listing=$(TZ=UTC tar -tzvf "$tarball" --numeric-owner)
got=$(tar -tzf "$tarball" | tr '\n' ' ' | sed 's/ $//')
want="$name/ $name/CHANGELOG.md $name/LICENSE $name/README $name/THIRD_PARTY_NOTICES $name/netcheck $name/netcheck.1"
[ "$got" = "$want" ] && ok "the tarball holds exactly $want, sorted" || bad "tarball members" "$got"
epoch=$(git log -1 --format=%ct 2>/dev/null || stat -c %Y Makefile)
date=$(date -u -d "@$epoch" '+%Y-%m-%d %H:%M')
odd=$(awk -v d="$date" '!(($1 == "drwxr-xr-x" || $1 == "-rwxr-xr-x" || $1 == "-rw-r--r--") && $2 == "0/0" && $4 " " $5 == d)' <<<"$listing")
[ -z "$odd" ] && ok "every member is owned by 0/0, dated $date UTC (the last commit), mode 0755 or 0644" \
  || bad "tarball metadata" "$odd"
(cd build/dist && sha256sum -c --quiet SHA256SUMS) >/dev/null 2>&1 && [ "$(wc -l <build/dist/SHA256SUMS)" -eq 1 ] \
  && ok "SHA256SUMS holds the tarball's checksum" || bad "SHA256SUMS" "$(cat build/dist/SHA256SUMS)"
# gzip header: FLG (byte 3) without FNAME (0x08), MTIME (bytes 4-7) zero.
flg=$(od -An -tu1 -j3 -N1 "$tarball" | tr -d ' ')
mtime=$(od -An -tu4 -j4 -N4 "$tarball" | tr -d ' ')
[ $((flg & 8)) -eq 0 ] && [ "$mtime" = 0 ] && ok "the gzip header has no file name and no time (gzip -n)" \
  || bad "gzip header" "flags $flg, mtime $mtime"
mkdir -p "$T/x" && tar -xzf "$tarball" -C "$T/x"
bin=$T/x/$name/netcheck
cmp -s "$bin" netcheck-static && file "$bin" | grep -qE 'statically linked|static-pie linked' \
  && ok "the tarball's netcheck is netcheck-static, statically linked (static PIE)" || bad "tarball binary" "$(file "$bin")"
first=$("$bin" --version | head -n 1)
[[ $first == "netcheck $version (x86_64-linux-musl, static) libcurl/"* ]] \
  && ok "its --version starts with 'netcheck $version'" || bad "tarball --version" "$first"
for f in LICENSE THIRD_PARTY_NOTICES CHANGELOG.md; do
  cmp -s "$T/x/$name/$f" "$f" || bad "tarball $f" "differs from the repository's"
done
cmp -s "$T/x/$name/netcheck.1" docs/netcheck.1 && grep -q "^netcheck $version for Linux x86_64" "$T/x/$name/README" \
  && ok "the notices, changelog and man page are the repository's; README names $version" \
  || bad "tarball docs" "$(head -n 1 "$T/x/$name/README")"
leak=$(grep -c -a -F -e "$ROOT" -e "build/static/" netcheck-static)
[ "$leak" -eq 0 ] && ok "no build path ($ROOT, build/static/) in the static binary" \
  || bad "build paths in netcheck-static" "$(strings -a netcheck-static | grep -F -e "$ROOT" -e build/static/ | head -3)"

# ---- THIRD_PARTY_NOTICES ----
if scripts/third-party-notices.sh >"$T/notices" 2>"$T/notices.err"; then
  cmp -s "$T/notices" THIRD_PARTY_NOTICES \
    && ok "THIRD_PARTY_NOTICES is the licenses of the libraries built (scripts/third-party-notices.sh)" \
    || bad "THIRD_PARTY_NOTICES" "differs from scripts/third-party-notices.sh's output: $(diff "$T/notices" THIRD_PARTY_NOTICES | head -5)"
else
  bad "scripts/third-party-notices.sh" "$(cat "$T/notices.err")"
fi
for lib in OpenSSL libcurl c-ares cJSON musl; do
  grep -q "^$lib: " THIRD_PARTY_NOTICES || bad "THIRD_PARTY_NOTICES" "no section for $lib"
done

# ---- the Dockerfile ----
stages=$($DF stages Dockerfile) || bad "Dockerfile" "cannot parse"
last=$(tail -n 1 <<<"$stages")
[ "$last" = "netcheck scratch" ] && grep -qx 'ENTRYPOINT \["/netcheck"\]' Dockerfile \
  && ok "docker build without --target builds the netcheck image (last stage: netcheck FROM scratch, ENTRYPOINT /netcheck)" \
  || bad "Dockerfile default stage" "last stage: $last"
grep -qx 'example python:3.11-slim' <<<"$stages" && grep -q -- '--target example' README.md \
  && ok "the example image is a separate stage, documented as --target example" || bad "example stage" "$stages"
mapfile -t runs < <($DF runs Dockerfile builder)
[ "${runs[*]}" = "scripts/install-deps.sh --build make dist" ] \
  && ok "the builder runs 'scripts/install-deps.sh --build' and 'make dist', nothing else" \
  || bad "builder RUN lines" "${runs[*]}"
[ "$(sed -n 's/^builder //p' <<<"$stages")" = debian:bookworm ] || bad "builder base" "not debian:bookworm"
if grep -E '^(COPY|ADD|ENTRYPOINT|CMD|WORKDIR).*/opt/ml' Dockerfile; then
  bad "Dockerfile" "job code under /opt/ml, which SageMaker reserves"
fi

# The build context, as Docker would send it: the checkout minus .dockerignore,
# with .git (the version), in a directory of another name and depth.
ctx=$T/context/of/docker
mkdir -p "$ctx"
if git rev-parse --git-dir >/dev/null 2>&1; then
  git clone -q --shared --no-checkout "$ROOT" "$ctx" && git -C "$ctx" update-ref --no-deref HEAD "$(git rev-parse HEAD)" \
    || bad "context" "git clone failed"
  git ls-files -co --exclude-standard
else
  find . -type f ! -path './build/*' | sed 's,^\./,,'
fi | while IFS= read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done | $DF context .dockerignore >"$T/context.list"
tar -C "$ROOT" -cf - -T "$T/context.list" | tar -C "$ctx" -xf -
bad_ctx=$(grep -E '^(build|tests|bench)/|^netcheck(-static)?$' "$T/context.list" | head -3)
[ -z "$bad_ctx" ] && ok ".dockerignore keeps build/, tests/, bench/ and the binaries out of the context ($(wc -l <"$T/context.list") files)" \
  || bad ".dockerignore" "in the context: $bad_ctx"
# The static dependencies already built (Docker would build them; reproducible.sh does).
prefix=$(sed -n 's/^STATIC_PREFIX := //p' build/static/deps.mk)
mkdir -p "$ctx/build/static"
ln -s "$ROOT/build/static/apt" "$ctx/build/static/apt"
ln -s "$(dirname "$prefix")" "$ctx/build/static/$(basename "$(dirname "$prefix")")"
wd=$($DF workdir Dockerfile builder)
i=0
for r in "${runs[@]}"; do
  i=$((i + 1))
  if (cd "$ctx" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SOURCE_DATE_EPOCH timeout 600 /bin/sh -c "$r") >"$T/run$i.log" 2>&1; then
    ok "RUN $r: passes in the build context"
  else
    bad "RUN $r" "$(tail -n 15 "$T/run$i.log")"
  fi
done
if cmp -s "$ctx/$tarball" "$tarball"; then
  ok "the builder's tarball is byte-identical to this one ($(cut -c1-16 build/dist/SHA256SUMS)...): same bytes from another directory"
else
  bad "reproducible across directories" "$(cat "$ctx/build/dist/SHA256SUMS" 2>/dev/null) vs $(cat build/dist/SHA256SUMS)"
fi
missing=""
while read -r stage from rest; do
  read -ra words <<<"$rest"
  unset 'words[${#words[@]}-1]' # the destination
  for src in "${words[@]}"; do
    case $from in
    -) [ "$src" = . ] || grep -qx -- "$src" "$T/context.list" || missing+=" $stage:$src(context)" ;;
    builder) [ -e "$ctx/${src#"$wd"/}" ] || missing+=" $stage:$src" ;;
    *) missing+=" $stage:--from=$from(not a stage of this Dockerfile)" ;;
    esac
  done
done < <($DF copies Dockerfile)
[ -z "$missing" ] && ok "every COPY of the Dockerfile finds its files (context, or the builder after make dist)" \
  || bad "COPY sources missing" "$missing"

# ---- the version ----
vc=$T/version-clone
if git clone -q --shared "$ROOT" "$vc" 2>/dev/null && cp Makefile "$vc/Makefile"; then
  # (this checkout's Makefile, committed or not, in a clone whose tags the test controls)
  git -C "$vc" tag -l | xargs -r git -C "$vc" tag -d >/dev/null
  v0=$("${MK[@]}" -s -C "$vc" print-version)
  git -C "$vc" tag v9.8.7
  v1=$("${MK[@]}" -s -C "$vc" print-version)
  git -C "$vc" -c user.name=t -c user.email=t@t commit -q --allow-empty -m next
  v2=$("${MK[@]}" -s -C "$vc" print-version)
  rm -rf "$vc/.git"
  v3=$("${MK[@]}" -s -C "$vc" print-version)
  if [ "$v0" = "$base" ] && [ "$v1" = 9.8.7 ] && [[ $v2 =~ ^9\.8\.7-1-g[0-9a-f]+$ ]] && [ "$v3" = "$base" ]; then
    ok "VERSION: $base without a tag, 9.8.7 on tag v9.8.7, $v2 one commit later, $base without .git"
  else
    bad "VERSION" "no tag: $v0, on v9.8.7: $v1, after: $v2, no .git: $v3 (BASE_VERSION $base)"
  fi
else
  bad "version clone" "git clone failed"
fi
grep -q "^## $base\$" CHANGELOG.md && ok "CHANGELOG.md has an entry for $base" || bad "CHANGELOG.md" "no '## $base'"
stale=$(grep -noE 'netcheck(\\)?-[0-9]+\.[0-9]+\.[0-9]+(\\)?-linux' README.md docs/*.md docs/netcheck.1 | grep -v -F -e "netcheck-$base-linux" -e "netcheck\\-$base\\-linux")
[ -z "$stale" ] && ok "the docs name the release files of $base" || bad "docs name another version's tarball" "$stale"

# ---- make install / make uninstall ----
check_install() { # check_install DIR LOG BINARY KIND
  local d=$1 log=$2 want=$3 kind=$4
  if [ -x "$d/usr/bin/netcheck" ] && cmp -s "$d/usr/bin/netcheck" "$want" && [ -f "$d/usr/share/man/man1/netcheck.1" ] \
    && [ -f "$d/usr/share/doc/netcheck/LICENSE" ] && [ -f "$d/usr/share/doc/netcheck/THIRD_PARTY_NOTICES" ] \
    && grep -q "is the $kind binary" "$log"; then
    ok "make install (PREFIX=/usr, DESTDIR) installs the $kind binary, the man page and the licenses, and says so"
  else
    bad "make install ($kind)" "$(cat "$log"; find "$d" -type f)"
  fi
}
d=$T/destdir-static
"${MK[@]}" install DESTDIR="$d" PREFIX=/usr >"$T/install.log" 2>&1
check_install "$d" "$T/install.log" netcheck-static static
"${MK[@]}" uninstall DESTDIR="$d" PREFIX=/usr >"$T/uninstall.log" 2>&1
left=$(find "$d" -type f)
[ -z "$left" ] && [ ! -d "$d/usr/share/doc/netcheck" ] && ok "make uninstall removes every installed file" \
  || bad "make uninstall" "left: $left $(cat "$T/uninstall.log")"
# Without netcheck-static: the dynamic binary (the context copy's build reuses this one's objects).
rm -f "$ctx/netcheck-static"
cp -a build/obj build/.deps-build-installed build/version.stamp "$ctx/build/" && cp -a netcheck "$ctx/"
d=$T/destdir-dynamic
"${MK[@]}" -C "$ctx" install DESTDIR="$d" PREFIX=/usr >"$T/install-dyn.log" 2>&1
check_install "$d" "$T/install-dyn.log" netcheck dynamic

cli_finish
