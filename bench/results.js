// Where the bench's figures go: one JSON array of runs per script, in bench/results/.
"use strict";
const fs = require("fs");
const path = require("path");

/** Writes the runs so far; called after each run, a stopped bench still leaves its figures. */
function saveRuns(file, rows) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
}

module.exports = { saveRuns };
