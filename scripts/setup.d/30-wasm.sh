#!/usr/bin/env bash
# What the WebAssembly builds and their tests need, skipping what is already there (idempotent):
#
# - Debian's rustc-web with its std sources and rust-lld: the rustup toolchains here have no wasm32 std,
#   so wasm builds compile std themselves (scripts/wasm-env.sh explains how);
# - wasm-bindgen-cli at exactly the Cargo.lock version (the CLI refuses modules from another version);
# - Trunk, which serves and builds the browser app (`trunk serve`, `trunk build`). It takes ~15 minutes
#   to compile on 2 cores, and only the Trunk smoke test needs it: MOAT_SKIP_TRUNK=1 skips it;
# - Chromium and its WebDriver for the browser tests, and the test scripts' npm packages;
# - every crate the wasm build needs, std's own dependencies included, so tests need no network.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$CARGO_HOME/bin:$PATH"
TRUNK_VERSION=0.22.1
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

missing=()
for package in rustc-web rust-web-src rust-web-llvm lld-22 chromium chromium-driver; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
# rust-web-llvm's /usr/bin/rust-lld dangles until lld-22 is there; build-std needs std's sources.
/usr/bin/rust-lld -flavor wasm --version >/dev/null
[ -f /usr/lib/rustlib/src/rust/library/Cargo.lock ]

if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WASM_BINDGEN_VERSION"; then
  echo "setup: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION" >&2
  if ! cargo install --locked wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"; then
    # The registry mirror may lack a crate version pinned by the CLI's lock file (webpki-roots 1.0.11
    # for 0.2.130). The failed attempt left the sources unpacked: install from a copy whose lock has
    # only that one crate moved to the newest version the mirror has, everything else still locked.
    source_dir=$(ls -d "$CARGO_HOME"/registry/src/*/wasm-bindgen-cli-"$WASM_BINDGEN_VERSION" 2>/dev/null | head -1)
    [ -n "$source_dir" ] || { echo "setup: no sources of wasm-bindgen-cli $WASM_BINDGEN_VERSION" >&2; exit 1; }
    copy=$(mktemp -d)
    trap 'rm -rf "$copy"' EXIT
    cp -r "$source_dir/." "$copy/"
    (cd "$copy" && cargo update -p webpki-roots --precise 1.0.10 && cargo install --locked --path . --bins)
  fi
fi

if [ "${MOAT_SKIP_TRUNK:-0}" != 1 ] && ! trunk --version 2>/dev/null | grep -qx "trunk $TRUNK_VERSION"; then
  echo "setup: installing trunk $TRUNK_VERSION (about 15 minutes)" >&2
  # trunk 0.22 declares rustc >= 1.96.1: the nightly toolchain has it; the stable one builds it fine
  # when told to ignore the declaration.
  cargo +nightly install --locked trunk --version "=$TRUNK_VERSION" ||
    cargo install --locked --ignore-rust-version trunk --version "=$TRUNK_VERSION"
fi

node --version | grep -Eq '^v([2-9][0-9])\.' || { echo "setup: Node.js 20 or newer is required (playwright-core)" >&2; exit 1; }
if [ ! -d tests/browser/node_modules ] || [ tests/browser/package-lock.json -nt tests/browser/node_modules ]; then
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
  touch tests/browser/node_modules
fi

source scripts/wasm-env.sh
cargo fetch --locked --target wasm32-unknown-unknown >/dev/null
