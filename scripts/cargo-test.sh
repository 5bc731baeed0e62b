#!/usr/bin/env bash
# Runs the Rust unit tests of ferrite-core on the host.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ]; then export PATH=/usr/bin:$PATH; fi
cargo test --release -p ferrite-core
