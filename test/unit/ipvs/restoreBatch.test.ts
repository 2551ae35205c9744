// The restore batch's two decisions: which batches may go through one `ipvsadm -R`, and
// how its output splits into one outcome per change. The output lines are as ipvsadm 1.31
// printed them on the lab for the same lines (-R carries on past a refused line and names
// no line; "--bogus: unknown option" did not stop it either).
import { SENTINEL_LINE, SENTINEL_MESSAGE, parseRestoreOutput, restoreApplicable } from "../../../provider/ipvs/restoreBatch";

const add = ["ipvsadm", "-a", "-t", "10.0.0.1:80", "-r", "10.0.1.1:80", "-m", "-w", "1"];

describe("restoreApplicable", () => {
  it("takes service adds and every destination change", () => {
    expect(restoreApplicable([["ipvsadm", "-A", "-t", "10.0.0.1:80", "-s", "rr"], add, ["ipvsadm", "-e", "-t", "10.0.0.1:80", "-r", "10.0.1.1:80", "-m", "-w", "3"], ["ipvsadm", "-d", "-t", "10.0.0.1:80", "-r", "10.0.1.1:80"]])).toBe(true);
  });

  it("leaves service edits and deletes to one ipvsadm each: the kernel answers them with the sentinel's own message", () => {
    expect(restoreApplicable([add, ["ipvsadm", "-E", "-t", "10.0.0.1:80", "-s", "wrr"]])).toBe(false);
    expect(restoreApplicable([add, ["ipvsadm", "-D", "-t", "10.0.0.1:80"]])).toBe(false);
    expect(restoreApplicable([add, ["ipvsadm", "-Z", "-t", "10.0.0.1:80"]])).toBe(false);
  });

  it("refuses tokens -R would split or lose, and an empty batch", () => {
    expect(restoreApplicable([[...add.slice(0, -1), "1 -x 5"]])).toBe(false);
    expect(restoreApplicable([[...add, ""]])).toBe(false);
    expect(restoreApplicable([[...add.slice(0, -1), "1\t"]])).toBe(false);
    expect(restoreApplicable([])).toBe(false);
    expect(restoreApplicable([["sh", "-a"]])).toBe(false);
    for (const quoting of ['"', "'", "\\", "#"]) expect(restoreApplicable([[...add.slice(0, -1), `1${quoting}`]])).toBe(false);
  });

  it("uses a sentinel that zeroes counters only, of the highest firewall mark", () => {
    expect(SENTINEL_LINE).toBe("-Z -f 4294967295");
    expect(SENTINEL_MESSAGE).toBe("No such service");
  });
});

describe("parseRestoreOutput", () => {
  it("gives each change the lines before its sentinel's answer: none when it applied", () => {
    // Captured on the lab: an add, the same add again, an add to a missing service, an
    // edit of a missing destination, then an add that applied.
    const lines = ["No such service", "Destination already exists", "No such service", "Service not defined", "No such service", "No such destination", "No such service", "No such service"];
    expect(parseRestoreOutput(lines, 5)).toEqual([
      { ok: true },
      { ok: false, stderr: "Destination already exists\n" },
      { ok: false, stderr: "Service not defined\n" },
      { ok: false, stderr: "No such destination\n" },
      { ok: true },
    ]);
  });

  it("keeps a message of several lines together", () => {
    expect(parseRestoreOutput(["--bogus: unknown option", "Try ipvsadm -h", "No such service"], 1)).toEqual([{ ok: false, stderr: "--bogus: unknown option\nTry ipvsadm -h\n" }]);
  });

  it("when -R stopped: the change after the last answered sentinel failed with its message, the rest never ran", () => {
    expect(parseRestoreOutput(["No such service", "illegal weight specified"], 4)).toEqual([
      { ok: true },
      { ok: false, stderr: "illegal weight specified\n" },
      { ok: false, stderr: "", notRun: true },
      { ok: false, stderr: "", notRun: true },
    ]);
    expect(parseRestoreOutput([], 2)).toEqual([
      { ok: false, stderr: "ipvsadm -R stopped at this change without a message\n" },
      { ok: false, stderr: "", notRun: true },
    ]);
  });

  it("refuses output it cannot split: more answers than changes, or lines after the last", () => {
    expect(() => parseRestoreOutput(["No such service", "No such service"], 1)).toThrow(/2 sentinels for 1 changes/);
    expect(() => parseRestoreOutput(["No such service", "Memory allocation problem"], 1)).toThrow(/printed after its last line/);
  });
});
