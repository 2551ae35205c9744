#!/usr/bin/env bash
# `npm run bench`: the scale figures of issue 13, printed and written to bench/results/
# (JSON, and chart.svg which the README shows). Not a test: it asserts no time.
#   1. parse + plan of 10,000-destination tables (CPU only, bench/parse-plan.js);
#   2. the director at N = 10, 100, 1000 RealServers, as the lab is and 25 ms away
#      (bench/director-scale.js): the physical limit, ours (provider and real engine), and
#      the per-resource baseline;
#   3. the engine's floor: the same engine runs with a provider that does nothing, so
#      what is the engine's own cost at N (bench/engine-floor.js);
#   4. the VRRP soak: a pair with VRRPv3 and a sub-second advert interval left idle for 10
#      minutes, its state changes counted (bench/vrrp-soak.js);
#   5. the chart (bench/chart.js);
#   6. what `npm test` leaves out for CI's time (`npm run test:extended`, LVS_EXTENDED=1): the
#      connection sync experiments of issue 14 in keepalived-pair.test.ts (two more power
#      cycles of a director) and the tun-cluster, nat-cluster and gitops examples on the
#      real CLI in examples-cli.test.ts, about fifteen minutes;
#   7. the whole fault matrix: every remote step of every kind and operation cut with both
#      faults (`npm run test:faults`, close to an hour; `npm test` cuts each kind once).
# A lab this script started is torn down at the end; one already up is left up.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
npm run build
bash scripts/engine/build-cli.sh >/dev/null

# The lab for this run (test/lab/session.sh): teardown is part of it, and checked.
source test/lab/session.sh

mkdir -p bench/results
BENCH_JSON=bench/results/parse-plan.json node bench/parse-plan.js
BENCH_JSON=bench/results/director-scale.json node bench/director-scale.js
BENCH_JSON=bench/results/engine-floor.json node bench/engine-floor.js
BENCH_JSON=bench/results/vrrp-soak.json node bench/vrrp-soak.js
node bench/chart.js bench/results/director-scale.json bench/results/chart.svg
npm run test:extended
npm run test:faults
