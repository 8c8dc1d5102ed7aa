#!/bin/sh
# Install the peers the benchmarks in bench/ compare against (Debian packages).
set -e
apt-get install -y python3-torch
apt-get install -y python3-pandas r-cran-data.table
apt-get install -y python3-matplotlib python3-numpy
