#!/bin/sh
# Install the peers the benchmarks in bench/ compare against (Debian packages).
set -e
apt-get install -y python3-torch
