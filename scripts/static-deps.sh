#!/usr/bin/env bash
# static-deps.sh: build fully static x86_64 OpenSSL, c-ares, libcurl (c-ares
# resolver, HTTP/HTTPS only) and cJSON with musl-gcc from Debian bookworm
# *source* packages, for `make static`.
#
# Usage: scripts/static-deps.sh [--smoke] [--refresh]
#   --smoke    also build and run scripts/static-smoke.c when the cache is warm
#              (it always runs after a fresh build)
#   --refresh  re-read bookworm's source index (may pick up newer Debian
#              revisions, hence a new cache key)
#
# Output (cached, idempotent; a warm run takes well under a second):
#   build/static/<key>/prefix/{include,lib}   static libs + headers
#   build/static/deps.mk                      STATIC_PREFIX := <abs prefix>
#                                             (+ STATIC_KHDR/CPPFLAGS/LDLIBS)
#   <key> = openssl-<ver>_c-ares-<ver>_curl-<ver>_cjson-<ver>_cfg-<hash>
#   with the full Debian versions (revision included, '~'/'+' -> '.') and a
#   hash of the build recipe below, so a changed flag means a new build.
#
# Link with:
#   STATIC_KHDR = build/static/kernel-headers (links to /usr/include/linux,
#                 /usr/include/asm-generic, /usr/include/x86_64-linux-gnu/asm)
#   compile:  musl-gcc -Os -ffunction-sections -fdata-sections -fPIE \
#               -fstack-protector-strong -DCURL_STATICLIB -DCARES_STATICLIB \
#               -I$(STATIC_PREFIX)/include -idirafter $(STATIC_KHDR) -c x.c
#   link:     musl-gcc -static -Os -Wl,--gc-sections -s -o netcheck *.o \
#               -L$(STATIC_PREFIX)/lib -lcurl -lcares -lssl -lcrypto -lcjson
#             (netcheck-static itself is linked as a static PIE: see the
#             Makefile's STATIC_LDFLAGS)
#   (order matters: curl before cares/ssl, ssl before crypto; cJSON is
#   independent. -lpthread/-ldl are not needed: musl has them in libc.
#   cJSON's header is installed as <cjson/cJSON.h>, like libcjson-dev.
#   The two STATICLIB defines only matter on Windows; they are harmless and
#   match what the libs' own pkg-config files say for static-only builds.)
#
# How sources are fetched: a deb-src entry for bookworm *main* (same URI and
# key as the system's binary entry; not -security/-updates, whose openssl
# source once answered 404) is written to a private apt directory,
# build/static/apt, and apt-get/apt-cache are pointed at it with -o options.
# Nothing under /etc/apt or /var/lib/apt is touched, so there is nothing to
# undo and no half-removed entry if the script is killed.
#
# CA certificates: curl is built with
#   --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --with-ca-path=/etc/ssl/certs
# and OpenSSL with --openssldir=/etc/ssl. In a FROM scratch image, mount (or
# COPY) a PEM bundle at /etc/ssl/certs/ca-certificates.crt, the path used by
# Debian, Ubuntu and Alpine. libcurl 7.88 fails the transfer if that file is
# missing, while a missing CA *directory* is harmless; hashed certs in
# /etc/ssl/certs are an extra source. SSL_CERT_FILE/CURL_CA_BUNDLE are NOT
# read by libcurl: an app that wants them must pass CURLOPT_CAINFO itself.
# OpenSSL reads /etc/ssl/openssl.cnf if it exists (or $OPENSSL_CONF), as the
# system's openssl would; a scratch image has none, which is fine.
#
# Notes:
# - Debian patches are applied from debian/patches/series (security fixes
#   included), minus curl's GnuTLS/NSS flavour patches. Some patches touch
#   configure.ac/Makefile.am (krb5, LDAP, zsh, test lists: all irrelevant
#   here); both projects default to AM_MAINTAINER_MODE off, so the shipped
#   configure scripts are used and autoconf/automake/libtool are not needed.
# - cJSON is compiled directly (cJSON.c only, as Debian's libcjson1); no cmake.
# - Reproducible from any checkout directory: no build path reaches the
#   libraries. libcrypto embeds its compiler flags, OPENSSLDIR, ENGINESDIR and
#   MODULESDIR as strings (OpenSSL_version()), so OpenSSL is configured with a
#   fixed, unused prefix (OPENSSL_VPREFIX, installed with DESTDIR and moved
#   into the real prefix) and the kernel headers as a relative path. The
#   "built on" date is SOURCE_DATE_EPOCH, set for every package to the date of
#   its debian/changelog entry (as Debian's own builds do), so two builds of the
#   same sources give the same bytes. The autotools builds get
#   -ffile-prefix-map for the build tree.
# - Each library's upstream license file is kept in
#   <prefix>/share/licenses/<package>/ (THIRD_PARTY_NOTICES is made from them:
#   scripts/third-party-notices.sh).
# - Logs: build/static/<key>/logs/*.log; failed builds keep their work tree
#   until the next build.
set -euo pipefail

readonly DEB_PACKAGES=(openssl c-ares curl cjson)
readonly SUITE=bookworm
readonly JOBS=2

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
readonly BUILD="$ROOT/build/static"
readonly APTDIR="$BUILD/apt"
readonly SRCDIR="$BUILD/src"
readonly KHDR="$BUILD/kernel-headers"

CURRENT_STEP="startup"
CURRENT_LOG=""

die() {
    echo "static-deps: error: $*" >&2
    CURRENT_STEP="" # the message above is the one-line error
    exit 1
}

on_exit() {
    local rc=$?
    if [ "$rc" -ne 0 ] && [ -n "$CURRENT_STEP" ]; then
        if [ -n "$CURRENT_LOG" ] && [ -s "$CURRENT_LOG" ]; then
            echo "---- last lines of $CURRENT_LOG ----" >&2
            tail -n 25 "$CURRENT_LOG" >&2 || true
            echo "----" >&2
        fi
        echo "static-deps: error: $CURRENT_STEP failed (exit $rc)${CURRENT_LOG:+; full log: $CURRENT_LOG}" >&2
    fi
}
trap on_exit EXIT

log() { echo "static-deps: $*"; }

# run_logged LOGFILE CMD...: run CMD with its output appended to LOGFILE.
run_logged() {
    local logfile=$1
    shift
    CURRENT_LOG=$logfile
    echo "+ $*" >>"$logfile"
    "$@" >>"$logfile" 2>&1
}

# ---------------------------------------------------------------- recipe ----
# Everything that shapes the output goes here: it is hashed into the key.
# -fPIE: netcheck-static is a static PIE (Makefile); -fstack-protector-strong:
# OpenSSL, c-ares and libcurl parse what the network sends. No unwind tables:
# C needs none (no exceptions, no backtraces), and they were a tenth of the
# binary (bench/RESULTS.md, "Static binary size").
readonly OPT_CFLAGS="-Os -ffunction-sections -fdata-sections -fPIE -fstack-protector-strong -fno-asynchronous-unwind-tables -fno-unwind-tables"

# TLS 1.2 + 1.3 client with ECDHE (X25519, P-256/384/521), RSA/ECDSA,
# AES-GCM, SHA-2 and HMAC stay; legacy protocols, engines, loadable modules
# and algorithms the endpoints netcheck talks to never need go: finite-field
# DH (every AWS endpoint and CDN offers ECDHE), ChaCha20-Poly1305 (they all
# offer AES-GCM), PSK, the multi-block CBC-HMAC stitching of TLS 1.0-era
# CBC suites, source file names in error records, and the deprecated APIs.
# What each removal saves: bench/RESULTS.md, "Static binary size". (OpenSSL
# 3.0 has no "no-docs" option; docs are skipped by building only
# build_libs/install_dev.)
readonly OPENSSL_OPTS=(
    no-shared no-tests no-module no-dso no-engine no-legacy no-async no-comp
    no-ssl3 no-tls1 no-tls1_1 no-dtls no-sctp no-srtp no-nextprotoneg
    no-weak-ssl-ciphers no-srp no-ct no-ocsp no-cms no-ts no-cmp no-rfc3779
    no-ec2m no-sm2 no-sm3 no-sm4 no-gost no-idea no-mdc2 no-md4 no-rc2 no-rc4
    no-rc5 no-seed no-bf no-cast no-camellia no-aria no-whirlpool no-rmd160
    no-des no-dsa no-siphash no-scrypt no-siv no-ocb no-blake2 no-cmac
    no-ui-console no-uplink no-afalgeng no-ktls
    no-dh no-chacha no-poly1305 no-psk no-multiblock no-filenames
    no-deprecated no-ssl-trace
)

readonly CARES_OPTS=(
    --disable-shared --enable-static --disable-tests --disable-debug
    --disable-warnings --disable-werror --disable-dependency-tracking
)
# c-ares 1.18 embeds two hash tables of list heads in every channel
# (ares_private.h: 2048 buckets by query id, 1024 by timeout second: 72 KiB,
# all written by ares_init), and libcurl makes a channel for every easy
# handle, one per request in flight: about 1 MiB of a healthy run's peak RSS
# for tables that never hold more than a few dozen queries. Sized down here
# (a bucket count changes nothing but the hashing; lookups stay correct).
readonly CARES_QID_TABLE_SIZE=64 CARES_TIMEOUT_TABLE_SIZE=32

readonly CURL_OPTS=(
    --disable-shared --enable-static --disable-dependency-tracking
    --disable-debug --disable-curldebug --disable-warnings --disable-werror
    --enable-http --disable-ftp --disable-file --disable-ldap --disable-ldaps
    --disable-rtsp --disable-dict --disable-telnet --disable-tftp
    --disable-pop3 --disable-imap --disable-smb --disable-smtp --disable-gopher
    --disable-mqtt --disable-manual --disable-libcurl-option --disable-sspi
    --disable-ntlm --disable-ntlm-wb --disable-tls-srp --disable-unix-sockets
    --disable-cookies --disable-doh --disable-mime --disable-netrc
    --disable-progress-meter --disable-alt-svc --disable-hsts
    --disable-websockets --disable-threaded-resolver --disable-rt
    --disable-verbose --disable-crypto-auth --disable-dateparse
    --disable-get-easy-options --disable-headers-api --disable-socketpair
    --disable-dnsshuffle
    --without-zlib --without-brotli --without-zstd --without-libpsl
    --without-libidn2 --without-nghttp2 --without-nghttp3 --without-ngtcp2
    --without-quiche --without-msh3 --without-libssh2 --without-libssh
    --without-wolfssh --without-librtmp --without-libgsasl --without-gssapi
    --without-hyper --without-zsh-functions-dir --without-fish-functions-dir
    --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt
    --with-ca-path=/etc/ssl/certs --without-ca-fallback
)

readonly CJSON_CFLAGS="-std=c89 -DENABLE_LOCALES"

# OpenSSL's configured prefix: compiled into libcrypto as ENGINESDIR and
# MODULESDIR (never used: no-engine, no-module), so it must not be a path of
# this build. The files are installed under DESTDIR and moved to $PREFIX.
readonly OPENSSL_VPREFIX=/netcheck-static/openssl

# The upstream license file of each package, in the order tried.
readonly LICENSE_FILES="LICENSE.txt LICENSE.md LICENSE COPYING"

# Debian's curl source carries two patches that turn the tree into the
# GnuTLS and NSS flavours (debian/rules pops them for the OpenSSL build).
readonly SKIP_PATCHES_curl="90_gnutls.patch 99_nss.patch"

recipe_hash() {
    {
        echo "recipe-v4"
        echo "$OPT_CFLAGS"
        printf '%s\n' "${OPENSSL_OPTS[@]}" "${CARES_OPTS[@]}" "${CURL_OPTS[@]}"
        echo "cares-tables $CARES_QID_TABLE_SIZE $CARES_TIMEOUT_TABLE_SIZE"
        echo "$CJSON_CFLAGS" "$SKIP_PATCHES_curl" "$OPENSSL_VPREFIX" "$LICENSE_FILES"
    } | sha256sum | cut -c1-8
}

# ----------------------------------------------------------------- tools ----
ensure_tools() {
    CURRENT_STEP="installing build tools"
    local missing=() pair
    # command-or-file:package
    for pair in musl-gcc:musl-tools dpkg-source:dpkg-dev make:make \
        gcc:build-essential perl:perl pkg-config:pkg-config patch:patch \
        xz:xz-utils file:file flock:util-linux \
        /usr/include/linux/version.h:linux-libc-dev \
        /usr/include/x86_64-linux-gnu/asm/types.h:linux-libc-dev \
        /usr/include/stdio.h:libc6-dev; do
        local what=${pair%%:*} pkg=${pair#*:}
        if [[ $what == /* ]]; then
            [ -e "$what" ] && continue
        else
            command -v "$what" >/dev/null 2>&1 && continue
        fi
        [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}) and not root to install them"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        apt-get update -q >/dev/null || die "apt-get update failed"
        apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
            die "apt-get install ${missing[*]} failed"
    fi
}

# ------------------------------------------------------- private apt state ----
APT_OPTS=()

setup_private_apt() {
    CURRENT_STEP="setting up the private deb-src entry"
    mkdir -p "$APTDIR/sources.list.d" "$APTDIR/lists/partial" \
        "$APTDIR/cache/archives/partial"
    # Take the mirror URI and keyring from the system's own bookworm entry
    # (deb822 debian.sources or one-line sources.list), default otherwise.
    local uri="" keyring=""
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # first stanza whose Suites include "bookworm" and URIs end in /debian
        read -r uri keyring < <(awk -v suite="$SUITE" '
            BEGIN { RS = ""; FS = "\n" }
            {
                u = ""; k = ""; s = 0
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/)      { u = $i; sub(/^URIs:[ \t]*/, "", u); sub(/[ \t].*/, "", u) }
                    if ($i ~ /^Signed-By:/) { k = $i; sub(/^Signed-By:[ \t]*/, "", k) }
                    if ($i ~ /^Suites:/ && (" " $i " ") ~ (" " suite " ")) s = 1
                }
                if (s && u ~ /\/debian\/?$/) { print u, k; exit }
            }' "$f") || true
        [ -n "$uri" ] && break
    done
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk -v suite="$SUITE" '$1 == "deb" && $0 ~ (" " suite " ") {
                for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
            /etc/apt/sources.list) || true
    fi
    [ -n "$uri" ] || uri="http://deb.debian.org/debian"
    if [ -z "$keyring" ] || [[ $keyring != /* ]] || [ ! -f "$keyring" ]; then
        keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    fi
    local entry
    entry="$(printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
        "$uri" "$SUITE" "$keyring")"
    local srcfile="$APTDIR/sources.list.d/netcheck-$SUITE-src.sources"
    if [ ! -f "$srcfile" ] || [ "$(cat "$srcfile")" != "$entry" ]; then
        printf '%s\n' "$entry" >"$srcfile"
        rm -f "$APTDIR"/lists/*_Sources* # entry changed: index must be re-read
    fi
    APT_OPTS=(
        -o "Dir::Etc::sourcelist=/dev/null"
        -o "Dir::Etc::sourceparts=$APTDIR/sources.list.d"
        -o "Dir::State::Lists=$APTDIR/lists"
        -o "Dir::Cache=$APTDIR/cache"
        -o "APT::Sandbox::User=root"
        -o "Acquire::Languages=none"
    )
}

update_private_apt_if_needed() {
    local force=$1
    if [ "$force" = 1 ] || ! compgen -G "$APTDIR/lists/*_Sources*" >/dev/null; then
        CURRENT_STEP="apt-get update (private deb-src index)"
        log "reading the $SUITE main source index"
        run_logged "$BUILD/apt-update.log" apt-get "${APT_OPTS[@]}" -q update
        CURRENT_LOG=""
        compgen -G "$APTDIR/lists/*_Sources*" >/dev/null ||
            die "apt-get update fetched no Sources index for $SUITE main"
    fi
}

# src_version PKG -> highest source version of PKG in bookworm main
src_version() {
    local pkg=$1 v best=""
    while read -r v; do
        if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
    done < <(apt-cache "${APT_OPTS[@]}" showsrc --only-source "$pkg" 2>/dev/null |
        awk '/^Package: /{p=$2} /^Version: /{ if (p == "'"$pkg"'") print $2 }')
    [ -n "$best" ] || die "no source package '$pkg' in $SUITE main (see $BUILD/apt-update.log)"
    echo "$best"
}

upstream_of() { # 1:2.3.4-5+deb12u1 -> 2.3.4
    local v=${1#*:}
    echo "${v%-*}"
}

# ------------------------------------------------------------- sources ----
# fetch_and_extract PKG VERSION DEST: DEST = Debian-patched tree.
fetch_and_extract() {
    local pkg=$1 ver=$2 dest=$3 nover dsc
    nover=${ver#*:}
    dsc="$SRCDIR/${pkg}_${nover}.dsc"
    mkdir -p "$SRCDIR"
    if [ ! -f "$dsc" ]; then
        CURRENT_STEP="apt-get source $pkg=$ver"
        log "downloading source $pkg $ver"
        (cd "$SRCDIR" && run_logged "$BUILD/apt-source.log" \
            apt-get "${APT_OPTS[@]}" -q source --download-only "$pkg=$ver")
        [ -f "$dsc" ] || die "apt-get source did not produce $dsc"
    fi
    CURRENT_STEP="unpacking $pkg"
    rm -rf "$dest"
    # Unpack without patches (dpkg-source checks the .dsc checksums), then
    # apply debian/patches/series ourselves so flavour patches can be skipped.
    run_logged "$LOGDIR/$pkg.log" dpkg-source --skip-patches -x "$dsc" "$dest"
    local series="$dest/debian/patches/series" skipvar="SKIP_PATCHES_${pkg//-/_}"
    local skip=${!skipvar:-}
    [ -f "$series" ] || return 0
    CURRENT_STEP="applying Debian patches to $pkg"
    local name opts n=0
    while read -r name opts; do
        name=${name%%#*}
        [ -n "$name" ] || continue
        if [[ " $skip " == *" $name "* ]]; then
            echo "skipping patch $name" >>"$LOGDIR/$pkg.log"
            continue
        fi
        # shellcheck disable=SC2086  # opts is e.g. "-p0" from the series file
        run_logged "$LOGDIR/$pkg.log" patch -d "$dest" -s -N ${opts:--p1} \
            -i "$dest/debian/patches/$name"
        n=$((n + 1))
    done <"$series"
    CURRENT_LOG=""
    log "$pkg: applied $n Debian patches${skip:+ (skipped: $skip)}"
}

# --------------------------------------------------------------- builds ----
build_openssl() {
    local src=$1
    CURRENT_STEP="building openssl"
    log "building openssl"
    CURRENT_LOG="$LOGDIR/openssl.log" # set here: the subshell cannot set it for on_exit
    (
        cd "$src"
        source_date_epoch
        # OpenSSL compiles from the top of its tree, so a relative path to the
        # kernel headers works and keeps the build path out of the flags that
        # libcrypto records (joined to the option: Configure takes a word that
        # does not start with "-" for the target).
        local khdr_rel
        khdr_rel=$(realpath --relative-to="$src" "$KHDR")
        # shellcheck disable=SC2086  # OPT_CFLAGS is a list of flags
        run_logged "$LOGDIR/openssl.log" ./Configure linux-x86_64 \
            CC=musl-gcc AR=ar RANLIB=ranlib \
            --prefix="$OPENSSL_VPREFIX" --libdir=lib --openssldir=/etc/ssl \
            "${OPENSSL_OPTS[@]}" \
            $OPT_CFLAGS "-idirafter$khdr_rel"
        run_logged "$LOGDIR/openssl.log" make -j"$JOBS" build_libs
        run_logged "$LOGDIR/openssl.log" make install_dev DESTDIR="$src/destdir"
        # Into the real prefix; the .pc files name it, for curl's configure.
        cp -a "$src/destdir$OPENSSL_VPREFIX/." "$PREFIX/"
        sed -i "s|^prefix=.*|prefix=$PREFIX|" "$PREFIX"/lib/pkgconfig/*.pc
    )
}

# SOURCE_DATE_EPOCH for the package in the current directory: the date of its
# latest debian/changelog entry.
source_date_epoch() {
    SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l debian/changelog -STimestamp)
    export SOURCE_DATE_EPOCH
}

autotools_env() {
    source_date_epoch
    export CC=musl-gcc AR=ar RANLIB=ranlib
    export CFLAGS="$OPT_CFLAGS -ffile-prefix-map=$PWD=."
    export CPPFLAGS="-I$PREFIX/include -idirafter $KHDR"
    export LDFLAGS="-static -L$PREFIX/lib"
    # Only our own .pc files: never pick up glibc-built system libraries.
    export PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig" PKG_CONFIG_PATH=""
}

build_cares() {
    local src=$1
    CURRENT_STEP="building c-ares"
    log "building c-ares"
    CURRENT_LOG="$LOGDIR/c-ares.log" # set here: the subshell cannot set it for on_exit
    (
        cd "$src"
        sed -i -e "s/^#define ARES_QID_TABLE_SIZE 2048\$/#define ARES_QID_TABLE_SIZE $CARES_QID_TABLE_SIZE/" \
            -e "s/^#define ARES_TIMEOUT_TABLE_SIZE 1024\$/#define ARES_TIMEOUT_TABLE_SIZE $CARES_TIMEOUT_TABLE_SIZE/" \
            src/lib/ares_private.h
        grep -q "^#define ARES_QID_TABLE_SIZE $CARES_QID_TABLE_SIZE\$" src/lib/ares_private.h &&
            grep -q "^#define ARES_TIMEOUT_TABLE_SIZE $CARES_TIMEOUT_TABLE_SIZE\$" src/lib/ares_private.h ||
            die "c-ares: ares_private.h has no table sizes to set (another c-ares version?)"
        autotools_env
        run_logged "$LOGDIR/c-ares.log" ./configure --prefix="$PREFIX" \
            --libdir="$PREFIX/lib" "${CARES_OPTS[@]}"
        run_logged "$LOGDIR/c-ares.log" make -j"$JOBS" -C src/lib
        run_logged "$LOGDIR/c-ares.log" make -C src/lib install
        run_logged "$LOGDIR/c-ares.log" make -C include install
        run_logged "$LOGDIR/c-ares.log" make install-pkgconfigDATA
    )
}

build_curl() {
    local src=$1
    CURRENT_STEP="building curl"
    log "building curl"
    CURRENT_LOG="$LOGDIR/curl.log" # set here: the subshell cannot set it for on_exit
    (
        cd "$src"
        autotools_env
        run_logged "$LOGDIR/curl.log" ./configure --prefix="$PREFIX" \
            --libdir="$PREFIX/lib" --with-openssl="$PREFIX" \
            --enable-ares="$PREFIX" "${CURL_OPTS[@]}"
        run_logged "$LOGDIR/curl.log" make -j"$JOBS" -C lib
        run_logged "$LOGDIR/curl.log" make -C lib install
        run_logged "$LOGDIR/curl.log" make -C include install
        run_logged "$LOGDIR/curl.log" make install-pkgconfigDATA
    )
}

build_cjson() {
    local src=$1
    CURRENT_STEP="building cjson"
    log "building cjson"
    CURRENT_LOG="$LOGDIR/cjson.log" # set here: the subshell cannot set it for on_exit
    (
        cd "$src"
        source_date_epoch
        # shellcheck disable=SC2086  # flag strings are meant to split
        run_logged "$LOGDIR/cjson.log" musl-gcc $OPT_CFLAGS $CJSON_CFLAGS \
            -c cJSON.c -o cJSON.o
        run_logged "$LOGDIR/cjson.log" ar rcs libcjson.a cJSON.o
        install -d "$PREFIX/include/cjson" "$PREFIX/lib"
        install -m 644 cJSON.h "$PREFIX/include/cjson/cJSON.h"
        install -m 644 libcjson.a "$PREFIX/lib/libcjson.a"
    )
}

# keep_license PKG TREE: the package's upstream license file, for the notices,
# and, when it names no copyright holder (OpenSSL's is the bare Apache
# License), the "Copyright (c)" lines of its README.md as COPYRIGHT.
keep_license() {
    local pkg=$1 tree=$2 f dir="$PREFIX/share/licenses/$1"
    CURRENT_STEP="keeping the license of $pkg"
    for f in $LICENSE_FILES; do
        [ -f "$tree/$f" ] || continue
        install -D -m 644 "$tree/$f" "$dir/$f"
        if ! grep -qiE 'copyright (\(c\)|©|[0-9])' "$tree/$f"; then
            grep -hE '^Copyright \(c\)' "$tree/README.md" >"$dir/COPYRIGHT" 2>/dev/null ||
                die "$pkg: $f names no copyright holder and README.md has no Copyright line"
        fi
        return 0
    done
    die "$pkg: no license file ($LICENSE_FILES) in $tree"
}

make_kernel_headers() {
    CURRENT_STEP="creating $KHDR"
    mkdir -p "$KHDR"
    ln -sfn /usr/include/linux "$KHDR/linux"
    ln -sfn /usr/include/asm-generic "$KHDR/asm-generic"
    ln -sfn /usr/include/x86_64-linux-gnu/asm "$KHDR/asm"
}

write_deps_mk() {
    CURRENT_STEP="writing $BUILD/deps.mk"
    local tmp="$BUILD/deps.mk.tmp.$$"
    cat >"$tmp" <<EOF
# Generated by scripts/static-deps.sh; do not edit. Key: $KEY
STATIC_PREFIX := $PREFIX
STATIC_KHDR := $KHDR
STATIC_CPPFLAGS := -DCURL_STATICLIB -DCARES_STATICLIB -I\$(STATIC_PREFIX)/include -idirafter \$(STATIC_KHDR)
STATIC_LDLIBS := -L\$(STATIC_PREFIX)/lib -lcurl -lcares -lssl -lcrypto -lcjson
EOF
    # Rewrite only on change: the Makefile's objects depend on deps.mk.
    if cmp -s "$tmp" "$BUILD/deps.mk"; then rm -f "$tmp"; else mv -f "$tmp" "$BUILD/deps.mk"; fi
}

smoke_test() {
    CURRENT_STEP="smoke test"
    local smoke_src="$ROOT/scripts/static-smoke.c" bin="$KEYDIR/static-smoke"
    [ -f "$smoke_src" ] || die "missing $smoke_src"
    CURRENT_LOG="$KEYDIR/smoke.log"
    : >"$CURRENT_LOG"
    # shellcheck disable=SC2086
    run_logged "$CURRENT_LOG" musl-gcc -static $OPT_CFLAGS -Wl,--gc-sections -s \
        -DCURL_STATICLIB -DCARES_STATICLIB -I"$PREFIX/include" -idirafter "$KHDR" \
        -o "$bin" "$smoke_src" \
        -L"$PREFIX/lib" -lcurl -lcares -lssl -lcrypto -lcjson
    local desc
    desc=$(file -b "$bin")
    [[ $desc == *"statically linked"* ]] || die "smoke binary is not static: $desc"
    if ldd "$bin" >/dev/null 2>&1; then die "ldd treats the smoke binary as dynamic"; fi
    local out
    out=$("$bin" 2>&1) || {
        printf '%s\n' "$out" >>"$CURRENT_LOG"
        die "smoke test failed: $(grep -m1 FAIL <<<"$out" || echo "$out" | tail -n 1)"
    }
    CURRENT_LOG=""
    printf '%s\n' "$out" | sed 's/^/  | /'
    log "smoke binary: $bin, $(stat -c %s "$bin") bytes, $desc"
}

# ----------------------------------------------------------------- main ----
main() {
    local want_smoke=0 refresh=0 arg
    for arg in "$@"; do
        case $arg in
        --smoke) want_smoke=1 ;;
        --refresh) refresh=1 ;;
        -h | --help)
            sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        *) die "unknown argument: $arg (try --help)" ;;
        esac
    done
    [ "$(uname -m)" = x86_64 ] || die "only x86_64 is supported (this is $(uname -m))"

    mkdir -p "$BUILD"
    ensure_tools
    # One run at a time (make -j, a Docker build step and a developer).
    exec 9>"$BUILD/.lock"
    flock 9

    setup_private_apt
    update_private_apt_if_needed "$refresh"

    CURRENT_STEP="reading source versions"
    local pkg ver key="" hash
    declare -gA VERSIONS=()
    for pkg in "${DEB_PACKAGES[@]}"; do
        ver=$(src_version "$pkg")
        VERSIONS[$pkg]=$ver
        ver=${ver#*:}
        key+="${key:+_}$pkg-${ver//[~+]/.}"
    done
    hash=$(recipe_hash)
    KEY="${key}_cfg-$hash"
    KEYDIR="$BUILD/$KEY"
    PREFIX="$KEYDIR/prefix"
    LOGDIR="$KEYDIR/logs"
    readonly KEY KEYDIR PREFIX LOGDIR

    make_kernel_headers
    local lib complete=1
    for lib in libssl.a libcrypto.a libcares.a libcurl.a libcjson.a; do
        [ -f "$PREFIX/lib/$lib" ] || complete=0
    done
    [ -f "$PREFIX/.complete" ] || complete=0
    if [ "$complete" = 1 ]; then
        write_deps_mk
        log "up to date: $PREFIX"
        if [ "$want_smoke" = 1 ]; then smoke_test; fi
        CURRENT_STEP=""
        return 0
    fi

    local start=$SECONDS
    log "building $KEY"
    # Drop what failed or interrupted builds left behind (their trees are
    # large); complete prefixes for other keys stay as a cache.
    local d
    for d in "$BUILD"/*_cfg-*/; do
        d=${d%/}
        if [ -d "$d" ] && [ ! -f "$d/prefix/.complete" ]; then rm -rf "$d"; fi
    done
    rm -rf "$PREFIX" "$KEYDIR/work" "$LOGDIR"
    mkdir -p "$PREFIX/include" "$PREFIX/lib" "$KEYDIR/work" "$LOGDIR"
    local -A TREE=()
    for pkg in "${DEB_PACKAGES[@]}"; do
        TREE[$pkg]="$KEYDIR/work/$pkg-$(upstream_of "${VERSIONS[$pkg]}")"
        fetch_and_extract "$pkg" "${VERSIONS[$pkg]}" "${TREE[$pkg]}"
    done

    # c-ares and cJSON do not depend on OpenSSL; curl needs both.
    build_openssl "${TREE[openssl]}"
    build_cares "${TREE[c-ares]}"
    build_cjson "${TREE[cjson]}"
    build_curl "${TREE[curl]}"
    CURRENT_LOG=""
    for pkg in "${DEB_PACKAGES[@]}"; do keep_license "$pkg" "${TREE[$pkg]}"; done

    CURRENT_STEP="checking the prefix"
    for lib in libssl.a libcrypto.a libcares.a libcurl.a libcjson.a; do
        [ -f "$PREFIX/lib/$lib" ] || die "$lib was not installed into $PREFIX/lib"
    done
    log "built in $((SECONDS - start)) s: $PREFIX"
    smoke_test
    # Only a prefix that passed the smoke test counts as cached.
    printf '%s\n' "key=$KEY" "openssl=${VERSIONS[openssl]}" "c-ares=${VERSIONS[c-ares]}" \
        "curl=${VERSIONS[curl]}" "cjson=${VERSIONS[cjson]}" >"$PREFIX/.complete"
    write_deps_mk
    rm -rf "$KEYDIR/work" # the trees are large and no longer needed
    CURRENT_STEP=""
}

main "$@"
