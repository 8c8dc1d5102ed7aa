#!/bin/sh
# Install the peers the benchmarks in bench/ compare against (Debian
# packages; not needed by the build or make check).  Safe to run twice.
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    hyperfine \
    python3-torch python3-numpy python3-pandas python3-matplotlib \
    r-base-core r-cran-data.table r-cran-forecast \
    r-cran-tseries r-cran-aer r-cran-quantreg r-cran-mass >/dev/null
