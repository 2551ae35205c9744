#!/usr/bin/env bash
# `npm test`: everything CI runs, in order, on a fresh clone with nothing installed by hand.
#   1. npm dependencies (from the lockfile), type check, unit tests;
#   2. the Pulumi CLI, built from its Go module when not cached (scripts/engine/build-cli.sh);
#   3. the lab (installs its own Debian packages; boots once for the whole run);
#   4. integration tests on the lab's real hosts (real sshd, IPVS kernel, keepalived) and
#      with the real Pulumi engine.
# A lab this script started is torn down at the end; one that was already up (`npm start`
# ran first) is left up, with the lab stack deployed as it was.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

npx tsc -p tsconfig.test.json   # type check, tests included
npm run build                   # the build users get: dist/ from clean, with typed exports
# Unit tests check every rendered keepalived config with the real `keepalived -t` (test/support/keepalivedCheck.ts); a fresh install starts no daemon (no keepalived.conf yet, and no systemd).
command -v keepalived >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq keepalived >/dev/null; }
npx jest --selectProjects unit

echo "pulumi CLI: $("$(bash scripts/engine/build-cli.sh)/pulumi" version)"

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
