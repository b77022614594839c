# Source this (`source scripts/wasm-env.sh`) before wasm work: `cargo build/test --target
# wasm32-unknown-unknown`, `trunk`, the scripts that build the package and the site. Never source it
# for native builds, which stay on the normal toolchain.
#
# The rustup toolchains here ship no wasm32 std, so wasm builds use Debian's rustc-web (with its std
# sources, rebuilt by cargo's build-std) driven by the usual cargo, linked by rust-lld. These are
# environment variables, not .cargo/config.toml, because build-std in the config would also apply
# to native and nightly builds (see /work/shared/TOOLCHAIN.md). scripts/setup.d/30-wasm.sh installs
# everything named here.

_moat_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
export RUSTC=/usr/bin/rustc
# Doc-tests of a wasm test run must use the same compiler version.
export RUSTDOC=/usr/bin/rustdoc
# Unlocks -Z on the stable rustc-web and makes the stable cargo read CARGO_UNSTABLE_*.
export RUSTC_BOOTSTRAP=1
export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/bin/rust-lld
# `cargo test --target wasm32-unknown-unknown` runs tests in Node, or in headless Chromium for the
# crates that ask for a browser.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
# A different compiler and std: keep its artefacts away from the native target/.
export CARGO_TARGET_DIR="$_moat_root/target/wasm"
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$_moat_root/web/webdriver.json"
# Trunk's update check is the only thing it would contact; the network is closed anyway.
export TRUNK_SKIP_VERSION_CHECK=true
unset _moat_root
