#!/bin/sh
# Install the peers the benchmarks compare against (not needed by make check).
set -e
apt-get install -y python3-matplotlib python3-numpy
