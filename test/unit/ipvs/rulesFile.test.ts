// The rules file is rendered from the live table (both listings), because the real
// ipvsadm's save format drops thresholds. Fixtures are the real kernel's output.

import { readFileSync } from "fs";
import { join } from "path";
import { parseLiveTable } from "../../../provider/ipvs/parse";
import { spawnSync } from "child_process";
import {
  IPVS_LOCK_FILE,
  OUTPUT_SEPARATOR,
  RULES_FILE_REQUEST,
  batchStdin,
  changeBatchArgv,
  parseChangeBatchAndDump,
  parseRulesFilePath,
  renderRulesFile,
  rulesFileReply,
} from "../../../provider/ipvs/rulesFile";

const fixture = (name: string) => readFileSync(join(__dirname, "../../fixtures/ipvsadm", name), "utf8");

describe("renderRulesFile", () => {
  const live = parseLiveTable([fixture("edit.save"), fixture("edit.list-thresholds")]);
  const rendered = renderRulesFile(live);

  it("writes every entry of the save format, plus the thresholds it drops", () => {
    const saved = fixture("edit.save").trim().split("\n");
    const renderedLines = rendered.trim().split("\n");
    expect(renderedLines).toHaveLength(saved.length);
    // Each line ipvsadm saved is a prefix of ours (ours adds -x/-y where it left them out).
    for (const line of saved) {
      const entry = line.split(" -s ")[0]!.split(" -g")[0]!.split(" -m")[0]!.split(" -i")[0]!;
      expect(renderedLines.some((r) => r.startsWith(entry))).toBe(true);
    }
    const withThresholds = live.destinations.filter((d) => d.upperThreshold > 0 || d.lowerThreshold > 0);
    expect(withThresholds.length).toBeGreaterThan(0);
    for (const d of withThresholds) expect(rendered).toContain(`-x ${d.upperThreshold} -y ${d.lowerThreshold}`);
  });

  it("is what ipvsadm-restore reads: bare tokens, no quotes, one entry per line", () => {
    expect(rendered).not.toMatch(/['"]/);
    expect(rendered.endsWith("\n")).toBe(true);
    expect(renderRulesFile({ services: [], destinations: [] })).toBe("");
  });
});

describe("the batch script", () => {
  const script = changeBatchArgv("1", "restore")[2]!;

  it("takes the changes on stdin as NUL-separated tokens after their number, never inside the script or its argv", () => {
    const argv = changeBatchArgv("60.000", "each");
    expect(argv.slice(0, 2)).toEqual(["bash", "-c"]);
    expect(argv.slice(4)).toEqual([IPVS_LOCK_FILE, "60.000", "each"]);
    const stdin = batchStdin([["ipvsadm", "-A", "-t", "10.0.0.1:80", "-s", "rr"], ["ipvsadm", "-D", "-t", "10.0.0.2:80"]]);
    expect(stdin.split("\0")).toEqual(["2", "5", "-A", "-t", "10.0.0.1:80", "-s", "rr", "3", "-D", "-t", "10.0.0.2:80", ""]);
    expect(batchStdin([]).split("\0")).toEqual(["0", ""]);
    expect(() => batchStdin([["rm", "-rf", "/"]])).toThrow(/only runs ipvsadm/);
    expect(() => batchStdin([["ipvsadm", "-A\0x"]])).toThrow(/cannot hold NUL/);
  });

  it("is valid bash (bash -n)", () => {
    const check = spawnSync("bash", ["-n", "-c", script], { encoding: "utf8" });
    expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: "" });
  });

  it("only accepts a numeric lock wait", () => {
    expect(() => changeBatchArgv("1; reboot", "each")).toThrow(/not a lock wait/);
  });

  it("holds the host lock in the root-only directory with a bounded wait, before any change, until the file is in place", () => {
    expect(IPVS_LOCK_FILE).toBe("/run/pulumi-lvs/ipvsadm.lock");
    expect(script).not.toContain("/run/lock");
    expect(script).toMatch(/\nhost_lock "\$1" "\$2"\n/);
    expect(script.indexOf('\nhost_lock "$1"')).toBeLessThan(script.indexOf("ipvsadm "));
    // No unlock anywhere: the lock (fd 9) is let go when the script exits, after the rename.
    expect(script).not.toMatch(/flock -u|exec 9>&-/);
    expect(script.indexOf(RULES_FILE_REQUEST)).toBeLessThan(script.indexOf('mv -f -- "$tmp" "$rules"'));
  });

  it("reads each change's outcome, ipvsadm's message with a failed one, then the two listings (the change count after them is read past)", () => {
    const statuses = ["@@pulumi-lvs-change@@ 1 ok", "@@pulumi-lvs-change@@ 2 failed 2", "  Destination already exists", "@@pulumi-lvs-change@@ 3 ok"].join("\n");
    const stdout = `${statuses}\n${OUTPUT_SEPARATOR}\n${fixture("edit.save")}${OUTPUT_SEPARATOR}\n${fixture("edit.list-thresholds")}${OUTPUT_SEPARATOR}\n7\n${RULES_FILE_REQUEST}\n`;
    const { results, listings } = parseChangeBatchAndDump(stdout, 3);
    expect(results).toEqual([{ ok: true }, { ok: false, exitCode: 2, stderr: "Destination already exists\n" }, { ok: true }]);
    expect(listings).toEqual([fixture("edit.save"), fixture("edit.list-thresholds")]);
    expect(() => parseChangeBatchAndDump(stdout, 4)).toThrow(/reported 3 of 4 changes/);
    expect(() => parseChangeBatchAndDump(stdout.slice(0, -RULES_FILE_REQUEST.length - 1), 3)).toThrow(/did not ask for the rules file/);
  });

  it("reads a restore batch's outcomes from ipvsadm -R's output, split at the sentinel's answers", () => {
    const output = ["@@pulumi-lvs-change@@ restore", "  No such service", "  Destination already exists", "  No such service", "  No such service"].join("\n");
    const stdout = `${output}\n${OUTPUT_SEPARATOR}\n${fixture("edit.save")}${OUTPUT_SEPARATOR}\n${fixture("edit.list-thresholds")}${OUTPUT_SEPARATOR}\n7\n${RULES_FILE_REQUEST}\n`;
    const { results, listings } = parseChangeBatchAndDump(stdout, 3);
    expect(results).toEqual([{ ok: true }, { ok: false, stderr: "Destination already exists\n" }, { ok: true }]);
    expect(listings).toEqual([fixture("edit.save"), fixture("edit.list-thresholds")]);
  });

  it("runs a restore batch through one ipvsadm -R, each change followed by the sentinel, after checking the sentinel service is absent", () => {
    expect(script).toContain('ipvsadm -L -n -f 4294967295 >/dev/null 2>&1; then\n  echo "@@pulumi-lvs-sentinel-present@@"\n  exit 0\nfi');
    expect(script).toContain('restore+=("${args[*]}" "-Z -f 4294967295")');
    expect(script).toContain('printf \'%s\\n\' "${restore[@]}" | ipvsadm -R 2>&1');
    // The sentinel check comes after the lock: nothing can add that service in between.
    expect(script.indexOf('host_lock "$1"')).toBeLessThan(script.indexOf("-f 4294967295"));
  });

  it("is sent the rules file with its length in bytes and an end line, and says where it wrote it", () => {
    expect(rulesFileReply("-A -t 10.0.0.1:80 -s rr\n")).toBe("24\n-A -t 10.0.0.1:80 -s rr\nend\n");
    expect(rulesFileReply("")).toBe("0\nend\n");
    expect(parseRulesFilePath(`x\n${RULES_FILE_REQUEST}\n/etc/ipvsadm.rules\n`)).toBe("/etc/ipvsadm.rules");
    expect(() => parseRulesFilePath(`x\n${RULES_FILE_REQUEST}\n`)).toThrow(/did not say where it wrote the rules file/);
  });
});
