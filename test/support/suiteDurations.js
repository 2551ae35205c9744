// A Jest reporter for CI's time budget. As each suite of 10 s or more ends it prints one line: the run's
// elapsed time, the suite's, and its three slowest tests (a run stopped by CI's timeout
// still says where its time went). At the end, every suite's wall time, slowest first: the
// default reporter prints them scattered through a long CI log whose tail is what gets read.
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

class SuiteDurations {
  onRunStart() {
    this.startedAt = Date.now();
  }

  onTestResult(_test, result) {
    const ms = result.perfStats.end - result.perfStats.start;
    if (ms < 10_000 && result.numFailingTests === 0) return; // the unit suites: seconds each
    const file = result.testFilePath.replace(`${process.cwd()}/`, "");
    const slowest = result.testResults
      .filter((t) => typeof t.duration === "number")
      .sort((a, b) => b.duration - a.duration)
      .slice(0, 3)
      .map((t) => `${seconds(t.duration)} ${t.title.slice(0, 80)}`);
    process.stderr.write(
      `[time] +${seconds(Date.now() - (this.startedAt ?? Date.now()))} ${file}: ${seconds(ms)}; slowest: ${slowest.join(" | ")}\n`,
    );
  }

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
