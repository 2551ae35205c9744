#!/usr/bin/env bash
# `npm start`: the main job on a fresh machine. Installs the npm dependencies, builds the
# package and the Pulumi CLI (from its Go module, cached outside the repository), brings the
# lab up (installing its own Debian packages), then deploys the lab stack (a DR LvsCluster
# on dir1 + rs1..rs3, VIP 10.77.0.150) with the real `pulumi up -s lab`, and proves it:
# requests from the lab client to the VIP, answered by every real server.
# Re-running it converges the same stack; `npm run lab:destroy-stack` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build   # dist/ from clean: the provider process loads pulumi-lvs/provider/registry from it
source scripts/engine/background-build.sh
start_cli_build
bash test/lab/lab.sh up
wait_cli_build
bash test/lab/lab.sh status
bash scripts/lab-stack.sh up
