#!/usr/bin/env bash
# The WebAssembly suites (scripts/setup.d/30-wasm.sh installs what they need):
# 1. wasm-bindgen-test: the JavaScript API in Node (web/api), the docs widget in headless Chromium
#    (web/embed);
# 2. the docs widget's example pages end to end in Chromium (Playwright), on the site as
#    scripts/build-site makes it and, when Trunk is installed, as `trunk build` makes it;
# 3. the npm package's TypeScript declarations, type-checked as a user's code would use them;
# 4. parity: the JavaScript API's matrices equal the native engine's on every scenario of the corpus.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "-- wasm-bindgen-test (Node, headless Chromium)"
(source scripts/wasm-env.sh && cargo test --locked --target wasm32-unknown-unknown -p moat-wasm -p moat-embed --tests)

echo "-- end to end: the example pages in Chromium"
site=$(scripts/build-site "$work/site")
node tests/browser/e2e.mjs "$site"
if command -v trunk >/dev/null; then
  echo "-- end to end on Trunk's build"
  (source scripts/wasm-env.sh && trunk build --release --dist "$work/trunk")
  node tests/browser/e2e.mjs "$work/trunk"
else
  echo "-- Trunk is not installed (MOAT_SKIP_TRUNK=1): its build is not tested"
fi

echo "-- the npm package's TypeScript declarations (tsc --strict)"
package=$(scripts/build-wasm-package "$work/types/node_modules/moat-wasm")
cp tests/browser/api-types.ts "$work/types/"
node tests/browser/node_modules/typescript/bin/tsc --noEmit --strict --target es2022 --module nodenext \
  --moduleResolution nodenext --lib es2022,dom,esnext.disposable "$work/types/api-types.ts"

echo "-- parity: the JavaScript API's matrices against the native engine's, on the scenario corpus"
cargo run --quiet --locked --release -p moat-wasm --example native_matrices -- "$work/native"
node tests/browser/parity.mjs "$work/native" "$package"
