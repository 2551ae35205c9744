#!/usr/bin/env bash
# npm dependencies from package-lock.json, when missing or older than the lockfile.
# Not `npm ci`: npm 11 refuses this lockfile because it has no entries for other platforms'
# optional binaries (unrs-resolver's).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/jest ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --no-save
fi
# The provider process loads pulumi-lvs/provider/registry by package name, as in a user's
# project; for the repository's own program (the lab stack) the package is this checkout.
[ -e node_modules/pulumi-lvs ] || ln -s .. node_modules/pulumi-lvs
