#!/usr/bin/env bash
# moat-agent end to end with real packets: network namespaces as pods and nodes, nftables enforcing,
# every verdict compared with the engine (tests/netns/). Needs root; takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
if [ "$(id -u)" != 0 ]; then
  echo "50-netns: skipped: network namespaces and nftables need root"
  exit 0
fi
MOAT_NETNS=1 cargo test --locked -p moat-agent --test netns
