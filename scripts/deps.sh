#!/usr/bin/env bash
# Install what sluice needs to build, test and benchmark on Debian 12 (as root, non-interactive).
# Installs only what is missing, so it is quick on a machine that already has everything.
set -euo pipefail
# chromium: the headless browser of tests/integration/report_chromium.sh (large, accepted).
pkgs=(build-essential cmake pkg-config git ca-certificates openssl curl zstd
      libuv1-dev libcurl4-openssl-dev libnghttp2-dev libssl-dev libmsgpack-dev libzstd-dev libjansson-dev
      libyajl-dev libvectorscan-dev libutf8proc-dev libcmocka-dev libh2o-dev libhiredis-dev redis-server nginx nghttp2-client
      python3 python3-msgpack python3-aiohttp clang chromium groff-base time)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages: ${missing[*]}; run this script as root (or with sudo)" >&2
    exit 2
  fi
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
