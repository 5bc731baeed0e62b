#!/usr/bin/env bash
# Makes sure a Rust toolchain that can build wasm32-unknown-unknown is present, and prints
# which recipe to use: "rustup" (a rustup toolchain with the wasm32 target) or "debian"
# (Debian's rustc-web + its std source, built with -Zbuild-std; see docs in README).
set -euo pipefail

if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  echo rustup
  exit 0
fi

debian_ready() {
  [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] && [ -d /usr/src/rustc-1.96.0/library/vendor ] \
    && [ -x /usr/lib/llvm-22/bin/wasm-ld ]
}

if ! debian_ready; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "ferrite: installing Debian's Rust wasm toolchain (rustc-web cargo-web rust-web-src lld-22)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq rustc-web cargo-web rust-web-src lld-22 >&2
  elif command -v rustup >/dev/null 2>&1 && rustup target add wasm32-unknown-unknown >&2; then
    echo rustup
    exit 0
  fi
fi

if debian_ready; then
  echo debian
  exit 0
fi

cat >&2 <<'MSG'
ferrite: no Rust toolchain that can build wasm32-unknown-unknown was found.
Either `rustup target add wasm32-unknown-unknown`, or on Debian 12 (as root):
  apt-get install rustc-web cargo-web rust-web-src lld-22
MSG
exit 1
