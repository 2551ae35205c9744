// A Jest reporter that ends the run with every suite's wall time, slowest first: the
// default reporter prints them as suites finish, scattered through a long CI log whose
// tail is what gets read. CI's time budget is spent where this table says.
class SuiteDurations {
  onRunComplete(_contexts, results) {
    const rows = results.testResults
      .map((r) => ({ file: r.testFilePath.replace(`${process.cwd()}/`, ""), ms: r.perfStats.end - r.perfStats.start, failed: r.numFailingTests > 0 || Boolean(r.failureMessage) }))
      .sort((a, b) => b.ms - a.ms);
    if (rows.length < 2) return;
    const total = rows.reduce((sum, r) => sum + r.ms, 0);
    const lines = rows.map((r) => `${(r.ms / 1000).toFixed(1).padStart(8)} s  ${r.failed ? "FAIL " : ""}${r.file}`);
    process.stderr.write(`\nsuite wall times, slowest first (sum ${(total / 1000).toFixed(0)} s):\n${lines.join("\n")}\n`);
  }
}
module.exports = SuiteDurations;
