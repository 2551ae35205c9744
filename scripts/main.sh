#!/usr/bin/env bash
# `npm start`: the main job on a fresh machine. Installs the npm dependencies, builds the
# package, brings the lab up (installing its own Debian packages), and prints where
# everything is. Deploying the lab stack onto it lands with the LvsCluster issue.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npx tsc -p tsconfig.json
bash test/lab/lab.sh up
bash test/lab/lab.sh status
