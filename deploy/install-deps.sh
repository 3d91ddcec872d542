#!/usr/bin/env bash
# Install the Debian 12 packages that canhbao needs to build, run and test.
# Idempotent: packages already present are skipped, so a second run is quick.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-all-dev libboost-json1.81-dev libboost-url1.81-dev
  libhiredis-dev libre2-dev libvectorscan-dev
  libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev
  libssl-dev libsodium-dev libspdlog-dev libfmt-dev
  libphonenumber8 libgeocoding8 libabsl-dev libpsl-dev publicsuffix libidn2-dev libicu-dev
  libxml2-dev prometheus-cpp-dev libcurl4-openssl-dev
  redis-server redis-tools curl
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

# libphonenumber-dev depends on libboost-thread-dev, which pulls Boost 1.74
# and conflicts with libboost1.81-all-dev. Its headers do not need that
# Boost, so the package is unpacked into a private prefix instead of being
# installed; CMake looks there (cmake/Dependencies.cmake).
phonenumber_prefix=/opt/canhbao-deps/libphonenumber-dev
phonenumber_header="$phonenumber_prefix/usr/include/phonenumbers/phonenumberutil.h"

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} packages present"
fi

if [ ! -f "$phonenumber_header" ]; then
  echo "install-deps: unpacking libphonenumber-dev into $phonenumber_prefix"
  workdir=$(mktemp -d)
  (cd "$workdir" && apt-get download libphonenumber-dev >/dev/null 2>&1) || {
    "${sudo_cmd[@]}" apt-get update -qq
    (cd "$workdir" && apt-get download libphonenumber-dev)
  }
  "${sudo_cmd[@]}" mkdir -p "$phonenumber_prefix"
  "${sudo_cmd[@]}" dpkg-deb -x "$workdir"/libphonenumber-dev_*.deb "$phonenumber_prefix"
  rm -rf "$workdir"
fi

# The Debian redis-server package starts a system instance on port 6379.
# canhbao runs its own instances from deploy/redis.conf, so the system one
# is stopped where systemd manages it; it is left alone otherwise.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
  "${sudo_cmd[@]}" systemctl disable --now redis-server || true
fi
