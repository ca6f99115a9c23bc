#!/usr/bin/env bash
# Makes sure the system libraries CompactRec links are present: OpenBLAS (and pkg-config,
# which SwiftPM uses to find it). Installs them with apt-get when it can (root, or sudo
# without a password); otherwise prints the exact command and fails.
set -euo pipefail

if [ "$(uname -s)" = "Darwin" ]; then exit 0; fi  # Accelerate ships with the OS
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openblas; then exit 0; fi

packages="libopenblas-dev pkg-config"
if [ "$(id -u)" = "0" ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo -n"
else
  echo "CompactRec needs OpenBLAS. Install it with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y $packages" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "CompactRec needs OpenBLAS and pkg-config; install them with your package manager ($packages on Debian/Ubuntu)." >&2
  exit 1
fi
echo "installing $packages ..." >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $packages >/dev/null
