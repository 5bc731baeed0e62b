#!/usr/bin/env bash
# Builds the two WebAssembly builds of ferrite-wasm into wasm/:
#   ferrite-ml-simd.wasm     simd128
#   ferrite-ml-relaxed.wasm  simd128 + relaxed-simd (fused multiply-add)
set -euo pipefail
cd "$(dirname "$0")/.."

recipe=$(bash scripts/setup-toolchain.sh)
mkdir -p wasm

build() { # name target-features
  local name=$1 features=$2
  # -disable-lsr keeps constant offsets folded into v128.load (faster inner loops in V8).
  local flags="-C target-feature=${features} -C llvm-args=-disable-lsr"
  local target_dir="target/wasm-${name}"
  if [ "$recipe" = debian ]; then
    PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1 \
    RUSTFLAGS="-C linker=/usr/lib/llvm-22/bin/wasm-ld ${flags}" \
    cargo build --release -p ferrite-wasm --target wasm32-unknown-unknown \
      --target-dir "$target_dir" -Zbuild-std=std,panic_abort \
      --config 'source.crates-io.replace-with="std-vendor"' \
      --config 'source.std-vendor.directory="/usr/src/rustc-1.96.0/library/vendor"'
  else
    RUSTFLAGS="${flags}" cargo build --release -p ferrite-wasm \
      --target wasm32-unknown-unknown --target-dir "$target_dir"
  fi
  cp "$target_dir/wasm32-unknown-unknown/release/ferrite_wasm.wasm" "wasm/ferrite-ml-${name}.wasm"
  echo "built wasm/ferrite-ml-${name}.wasm ($(wc -c < "wasm/ferrite-ml-${name}.wasm") bytes)"
}

build simd +simd128
build relaxed +simd128,+relaxed-simd
