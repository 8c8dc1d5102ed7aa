#!/bin/sh
# Set up lualab on a bare Debian 12 machine: install the packages the build
# and the tests need, generate the build system, configure and build.
# Safe to run twice.  Extra arguments go to ./configure.
set -e
cd "$(dirname "$0")"

# Build and test dependencies (benchmark-only peers: bench/setup.sh).
PACKAGES="build-essential autoconf automake pkg-config
 liblua5.4-dev lua5.4 libncurses-dev libreadline-dev libopenblas-dev
 libcsv-dev libsqlite3-dev sqlite3 libcjson-dev libmicrohttpd-dev
 libcurl4-openssl-dev curl
 libmosquitto-dev mosquitto mosquitto-clients librdkafka-dev libcmocka-dev lua-busted tmux
 python3 python3-nbformat python3-jsonschema libxml2-utils
 clang libclang-rt-14-dev libxgboost-dev librsvg2-dev python3-nbconvert"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "bootstrap: missing packages:$missing (run as root, or install them)" >&2
        exit 1
    fi
    echo "bootstrap: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
if [ ! -f Makefile ] || [ -n "$*" ]; then
    ./configure -q "$@"
fi
make -j2 >/dev/null
echo "bootstrap: built ./lualab ($(./lualab --version))"
