// The rules file is rendered from the live table (both listings), because the real
// ipvsadm's save format drops thresholds. Fixtures are the real kernel's output.

import { readFileSync } from "fs";
import { join } from "path";
import { parseLiveTable } from "../../../provider/ipvs/parse";
import { IPVS_LOCK_FILE, changeAndDumpArgv, parseChangeAndDump, renderRulesFile, writeRulesFileArgv, OUTPUT_SEPARATOR } from "../../../provider/ipvs/rulesFile";

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

describe("the change scripts", () => {
  it("pass the ipvsadm argv as positional parameters, never inside the script", () => {
    const argv = changeAndDumpArgv(["ipvsadm", "-A", "-t", "10.0.0.1:80", "-s", "rr"], "60.000");
    expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(argv[2]).not.toContain("10.0.0.1");
    expect(argv.slice(4)).toEqual([IPVS_LOCK_FILE, "60.000", "ipvsadm", "-A", "-t", "10.0.0.1:80", "-s", "rr"]);
    expect(() => changeAndDumpArgv(["rm", "-rf", "/"], "1")).toThrow(/only runs ipvsadm/);
  });

  it("only accept a numeric change count and lock wait", () => {
    expect(writeRulesFileArgv("12", "1.5").slice(-3)).toEqual([IPVS_LOCK_FILE, "1.5", "12"]);
    expect(() => writeRulesFileArgv("1; reboot", "1")).toThrow(/not a change count/);
    expect(() => writeRulesFileArgv("1", "1; reboot")).toThrow(/not a lock wait/);
  });

  it("hold the host lock in the root-only directory with a bounded wait, before any change", () => {
    expect(IPVS_LOCK_FILE).toBe("/run/pulumi-lvs/ipvsadm.lock");
    const scripts: Array<[string, string]> = [
      [changeAndDumpArgv(["ipvsadm", "-C"], "1")[2]!, '\n"$@"\n'],
      [writeRulesFileArgv("1", "1")[2]!, "cat >"],
    ];
    for (const [script, firstChange] of scripts) {
      expect(script).not.toContain("/run/lock");
      expect(script).toMatch(/\nhost_lock "\$1" "\$2"\nshift 2\n/);
      expect(script.indexOf('\nhost_lock "$1"')).toBeLessThan(script.indexOf(firstChange));
    }
  });

  it("split the dump into the two listings and the change count", () => {
    const stdout = `${fixture("edit.save")}${OUTPUT_SEPARATOR}\n${fixture("edit.list-thresholds")}${OUTPUT_SEPARATOR}\n7\n`;
    const { listings, changeCount } = parseChangeAndDump(stdout);
    expect(changeCount).toBe("7");
    expect(listings).toEqual([fixture("edit.save"), fixture("edit.list-thresholds")]);
  });
});
