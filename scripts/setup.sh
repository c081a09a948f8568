#!/usr/bin/env bash
# Installs the Debian packages strata needs to build, test and benchmark.
# Idempotent: when every package is already installed it does nothing (no apt-get).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libsimdjson-dev libzstd-dev liblz4-dev libxxhash-dev
  libcpp-httplib-dev libcli11-dev libpg-query-dev libre2-dev libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format curl gdb clang-14 libclang-rt-14-dev
  libpq-dev postgresql-15 libssl-dev
  python3-prometheus-client
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
