#!/usr/bin/env bash
# The playground (web/app; scripts/setup.d/30-wasm.sh installs what it needs):
# 1. wasm-bindgen-test: its components in headless Chromium (web/app/tests);
# 2. end to end in Chromium through Playwright (tests/browser/playground.mjs), on the site as
#    scripts/build-site makes it and, when Trunk is installed, as `trunk build` makes it: the default
#    example, an edit, a broken document, explanations, filters, the baseline diff, share links, the
#    exports, the docs widget's links, embed mode, no manifest in any request; it prints the
#    performance figures and writes screenshots to target/screenshots/playground/.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "-- wasm-bindgen-test: the playground's components in headless Chromium"
(source scripts/wasm-env.sh && cargo test --locked --target wasm32-unknown-unknown -p moat-playground --tests)

echo "-- end to end: the playground in Chromium"
site=$(scripts/build-site "$work/site")
node tests/browser/playground.mjs "$site" target/screenshots/playground
if command -v trunk >/dev/null; then
  echo "-- end to end on Trunk's build"
  (source scripts/wasm-env.sh && trunk build --release --dist "$work/trunk")
  node tests/browser/playground.mjs "$work/trunk" "$work/trunk-screenshots"
else
  echo "-- Trunk is not installed (MOAT_SKIP_TRUNK=1): its build is not tested"
fi
