// Where the bench's figures go: one JSON array of runs per script, in bench/results/.
//
// A whole bench takes hours on the lab, so a part of it can be run again on its own
// (BENCH_SIZES, BENCH_DELAYS_MS, BENCH_WAYS) with BENCH_MERGE=1: the runs it measures
// replace the same runs in the file, and the others stay as they were. Each run carries the
// day it was measured on, so a merged file says which figures are older.
"use strict";
const fs = require("fs");
const path = require("path");

const MERGE = process.env.BENCH_MERGE === "1";

/** The day a run is measured on, as runs record it. */
function today() {
  return new Date().toISOString().slice(0, 10);
}

/**
 * Writes the runs so far; called after each run, so a stopped bench still leaves its
 * figures. `runKey` names a run (e.g. way, phase, N and delay): with BENCH_MERGE=1 the
 * file's runs that this invocation did not measure are kept, ahead of the new ones.
 */
function saveRuns(file, rows, runKey) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let kept = [];
  if (MERGE && fs.existsSync(file)) {
    const measured = new Set(rows.map(runKey));
    kept = JSON.parse(fs.readFileSync(file, "utf8")).filter((row) => !measured.has(runKey(row)));
  }
  fs.writeFileSync(file, `${JSON.stringify([...kept, ...rows], null, 2)}\n`);
}

module.exports = { saveRuns, today };
