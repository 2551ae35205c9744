#!/usr/bin/env bash
# `npm test`: everything CI runs, in order, on a fresh clone with nothing installed by hand.
#   1. npm dependencies (from the lockfile), type check, unit tests;
#   2. the lab (installs its own Debian packages; boots once for the whole run);
#   3. integration tests on the lab's real hosts (real sshd, IPVS kernel, keepalived).
# A lab this script started is torn down at the end; one that was already up is left up.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/jest ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Versions come from package-lock.json. Not `npm ci`: npm 11 refuses this lockfile
  # because it has no entries for other platforms' optional binaries (unrs-resolver's).
  npm install --no-audit --no-fund --no-save
fi

npx tsc -p tsconfig.test.json   # type check, tests included
npx tsc -p tsconfig.json        # the build users get: dist/ with typed exports
# Unit tests check every rendered keepalived config with the real `keepalived -t` (test/support/keepalivedCheck.ts); a fresh install starts no daemon (no keepalived.conf yet, and no systemd).
command -v keepalived >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq keepalived >/dev/null; }
npx jest --selectProjects unit

# Teardown is part of the test: a lab that leaves anything behind fails the run.
teardown_lab() {
  local status=$?
  bash test/lab/lab.sh down
  bash test/lab/lab.sh check-clean || status=1
  exit $status
}
if [ -f test/lab/inventory.json ] && bash test/lab/lab.sh status >/dev/null 2>&1; then
  echo "the lab is already up; leaving it up afterwards"
else
  trap teardown_lab EXIT
  bash test/lab/lab.sh up
fi
npx jest --selectProjects integration --runInBand
