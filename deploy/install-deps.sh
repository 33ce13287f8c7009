#!/usr/bin/env bash
# Installs the Debian packages Parley's build, tests and quickstart need: only what is
# missing, without recommends, idempotently. Safe to run again and again.
#
#   ./deploy/install-deps.sh            # build + tests + quickstart
#   ./deploy/install-deps.sh --runtime  # only what running the binaries needs
set -euo pipefail

# espeak-ng and sox render the spoken-variable phrase set (deploy/render-phrases.sh).
BUILD=(cmake ninja-build g++ pkg-config
       libsofia-sip-ua-dev libpoco-dev libxerces-c-dev libsrtp2-dev libspeexdsp-dev
       liburing-dev
       libpq-dev espeak-ng sox)
TEST=(catch2 clang libclang-rt-14-dev sip-tester baresip-core tshark postgresql python3 procps iproute2 curl)
RUNTIME=(libsofia-sip-ua0 libpocofoundation80 libpocoutil80 libpoconet80 libpocojson80
         libpocoxml80 libpocodata80 libpocodatasqlite80 libpocodatapostgresql80 libpq5 libpoconetssl80 libpococrypto80
         libxerces-c3.2 libsrtp2-1 libspeexdsp1 liburing2)

want=()
case "${1:-}" in
  --runtime) want=("${RUNTIME[@]}") ;;
  "") want=("${BUILD[@]}" "${TEST[@]}") ;;
  *) echo "usage: $0 [--runtime]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
