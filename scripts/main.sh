#!/usr/bin/env bash
# `npm start`: the main job on a fresh machine. Installs the npm dependencies, builds the
# package, brings the lab up (installing its own Debian packages), then deploys the lab
# stack (a DR LvsCluster on dir1 + rs1..rs3, VIP 10.77.0.150) with `pulumi up -s lab`, or,
# when no Pulumi CLI is found, the same program through the engine-path program runner;
# and proves it: requests from the lab client to the VIP, answered by every real server.
# `npm run lab:destroy-stack` removes the stack again.
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
bash scripts/lab-stack.sh up
