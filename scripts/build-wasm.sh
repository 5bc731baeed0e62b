#!/usr/bin/env bash
# Builds the WebAssembly builds of ferrite-wasm into wasm/:
#   ferrite-ml-simd.wasm             simd128
#   ferrite-ml-relaxed.wasm          simd128 + relaxed-simd (fused multiply-add)
#   ferrite-ml-simd-threads.wasm     simd128 + atomics, over an imported shared memory
#   ferrite-ml-relaxed-threads.wasm  relaxed-simd + atomics, over an imported shared memory
# The single-threaded builds use no atomics (hosts without SharedArrayBuffer run them).
# Pass build names to build only those (e.g. `bash scripts/build-wasm.sh simd-threads`).
set -euo pipefail
cd "$(dirname "$0")/.."

recipe=$(bash scripts/setup-toolchain.sh)
mkdir -p wasm

# The threaded builds' memory: imported, shared, 2 MiB at first (stack and data), up to 4 GiB;
# ts/backend/wasm/threads/memory.ts creates it with the same limits. Each helper gets its own
# stack and TLS block from the host, which needs these globals and functions exported.
THREAD_LINK="-C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=4294967296"
THREAD_LINK+=" -C link-arg=--initial-memory=2097152"
THREAD_LINK+=" -C link-arg=--export=__stack_pointer -C link-arg=--export=__wasm_init_tls"
THREAD_LINK+=" -C link-arg=--export=__tls_size -C link-arg=--export=__tls_align"

build() { # name target-features [extra flags]
  local name=$1 features=$2 extra=${3:-}
  # -disable-lsr keeps constant offsets folded into v128.load (faster inner loops in V8).
  local flags="-C target-feature=${features} -C llvm-args=-disable-lsr ${extra}"
  local target_dir="target/wasm-${name}"
  if [ "$recipe" = debian ]; then
    PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1 \
    RUSTFLAGS="-C linker=/usr/lib/llvm-22/bin/wasm-ld ${flags}" \
    cargo build --release -p ferrite-wasm --target wasm32-unknown-unknown \
      --target-dir "$target_dir" -Zbuild-std=std,panic_abort \
      --config 'source.crates-io.replace-with="std-vendor"' \
      --config 'source.std-vendor.directory="/usr/src/rustc-1.96.0/library/vendor"'
  elif [ -n "$extra" ]; then
    # Atomics need a standard library built with them: nightly features on the installed
    # toolchain (RUSTC_BOOTSTRAP) and its rust-src component.
    RUSTC_BOOTSTRAP=1 RUSTFLAGS="${flags}" cargo build --release -p ferrite-wasm \
      --target wasm32-unknown-unknown --target-dir "$target_dir" -Zbuild-std=std,panic_abort
  else
    RUSTFLAGS="${flags}" cargo build --release -p ferrite-wasm \
      --target wasm32-unknown-unknown --target-dir "$target_dir"
  fi
  cp "$target_dir/wasm32-unknown-unknown/release/ferrite_wasm.wasm" "wasm/ferrite-ml-${name}.wasm"
  echo "built wasm/ferrite-ml-${name}.wasm ($(wc -c < "wasm/ferrite-ml-${name}.wasm") bytes)"
}

want() { local name=$1; shift; [ $# -eq 0 ] || [[ " $* " == *" $name "* ]]; }

all=("$@")
want simd "${all[@]}" && build simd +simd128
want relaxed "${all[@]}" && build relaxed +simd128,+relaxed-simd
want simd-threads "${all[@]}" && build simd-threads +simd128,+atomics,+bulk-memory,+mutable-globals "$THREAD_LINK"
want relaxed-threads "${all[@]}" && build relaxed-threads +simd128,+relaxed-simd,+atomics,+bulk-memory,+mutable-globals "$THREAD_LINK"
true
