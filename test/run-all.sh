#!/usr/bin/env bash
# `npm test`: everything CI runs, in order, on a fresh clone with nothing installed by hand.
#   1. npm dependencies (from the lockfile), type check, unit tests;
#   2. the Pulumi CLI, built from its Go module when not cached (scripts/engine/build-cli.sh),
#      in the background while the lab comes up (installs its own Debian packages; boots
#      once for the whole run);
#   3. integration tests on the lab's real hosts (real sshd, IPVS kernel, keepalived) and
#      with the real Pulumi engine.
# A lab this script started is torn down at the end; one that was already up (`npm start`
# ran first) is left up, with the lab stack deployed as it was.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
# Unit tests check every rendered keepalived config with the real `keepalived -t` (test/support/keepalivedCheck.ts); a fresh install starts no daemon (no keepalived.conf yet, and no systemd).
# Installed before the lab comes up: the lab installs its own Debian packages, and two apt runs at once collide on dpkg's lock.
command -v keepalived >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq keepalived >/dev/null; }
# The CLI builds in the background while the lab comes up and the code is checked (both are cached afterwards).
source scripts/engine/background-build.sh
start_cli_build
# The lab for this run (test/lab/session.sh): teardown is part of it, and checked.
source test/lab/session.sh

npx tsc -p tsconfig.test.json   # type check, tests included
npm run build                   # the build users get: dist/ from clean, with typed exports
npx jest --selectProjects unit --maxWorkers=2

wait_cli_build
echo "pulumi CLI: $("$(bash scripts/engine/build-cli.sh)/pulumi" version)"

npx jest --selectProjects integration --runInBand
