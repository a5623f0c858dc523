#!/usr/bin/env bash
# Runs the whole test suite. Some tests compare with samtools; install it when it is missing and we can.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if ! command -v samtools >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing samtools (Debian package)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq samtools >/dev/null
  else
    echo "test.sh: samtools is needed by the tests: sudo apt-get install -y samtools" >&2
    exit 1
  fi
fi
if [ ! -d ../shared/compat ]; then
  echo "test.sh: ../shared/compat (fgbio's reference results) must sit beside this repository" >&2
  exit 1
fi
exec mvn -B verify
