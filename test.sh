#!/usr/bin/env bash
# Runs the whole test suite. Some tests compare with samtools, the libdeflate backend's tests need the
# system's libdeflate, the memory matrix measures peak RSS with /usr/bin/time, and the cluster security
# test makes its certificates with openssl; install them when missing and we can.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
has_libdeflate() {
  compgen -G '/usr/lib/*/libdeflate.so.0' >/dev/null || compgen -G '/usr/lib*/libdeflate.so.0' >/dev/null \
    || { command -v ldconfig >/dev/null && ldconfig -p | grep -q 'libdeflate\.so\.0'; }
}
if ! command -v samtools >/dev/null 2>&1 || ! has_libdeflate || [ ! -x /usr/bin/time ] || ! command -v openssl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing samtools, libdeflate0, time and openssl (Debian packages)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq samtools libdeflate0 time openssl >/dev/null
  else
    echo "test.sh: the tests need samtools, libdeflate, time and openssl: sudo apt-get install -y samtools libdeflate0 time openssl" >&2
    exit 1
  fi
fi
if [ ! -d ../shared/compat ]; then
  echo "test.sh: ../shared/compat (fgbio's reference results) must sit beside this repository" >&2
  exit 1
fi
exec mvn -B verify
