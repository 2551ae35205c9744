#!/usr/bin/env bash
# `npm start`: the main job on a fresh machine. Installs the npm dependencies, builds the
# package, brings the lab up (installing its own Debian packages), and prints where
# everything is. Deploying the lab stack onto it lands with the LvsCluster issue.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Versions come from package-lock.json. Not `npm ci`: npm 11 refuses this lockfile
  # because it has no entries for other platforms' optional binaries (unrs-resolver's).
  npm install --no-audit --no-fund --no-save
fi
npx tsc -p tsconfig.json
bash test/lab/lab.sh up
bash test/lab/lab.sh status
