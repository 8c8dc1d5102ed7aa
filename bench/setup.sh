#!/bin/sh
# Benchmark peers (not needed by make check): apt-get only.
set -e
apt-get install -y python3-pandas r-cran-data.table
