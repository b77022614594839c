#!/usr/bin/env bash
# A Rust toolchain with rustfmt and clippy, and every crate fetched (so tests need no network).
set -euo pipefail
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: installing Rust from Debian (no rustup toolchain found)" >&2
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q cargo rustc rustfmt rust-clippy
fi
if command -v rustup >/dev/null 2>&1; then
  for component in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
  done
fi
cargo fetch --locked >/dev/null
