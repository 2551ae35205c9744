// The constant shell scripts (batch, file write), run for real with this machine's
// /bin/sh on hostile arguments: an argument must arrive as exactly that argument.

import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { REPLY_CUT_SHORT_EXIT, RUN_COMMANDS_FROM_STDIN, batchArgv, commandsOnStdin, commandsStderr, failedSteps } from "../../../provider/resource/commandBatch";
import { removeRemoteFilesArgv, writeRemoteFileArgv } from "../../../provider/resource/remoteFiles";

const HOSTILE = ["a b", "it's", '"quoted"', "$(touch /tmp/pwned-by-director-test)", "`id`", "x\ny", "", "-n", "--", "*", "; rm -rf /", "ünï©ødé"];

function sh(argv: readonly string[], stdin?: string) {
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", input: stdin });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "director-scripts-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("batchArgv", () => {
  it("passes every argument through untouched, command by command", () => {
    const result = sh(batchArgv([["printf", "[%s]\\n", ...HOSTILE], ["printf", "%s|", "second"]]));
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(HOSTILE.map((a) => `[${a}]\n`).join("") + "second|");
  });

  it("stops at the first failure and names its step", () => {
    const result = sh(batchArgv([["true"], ["sh", "-c", "echo boom >&2; exit 4"], ["touch", join(dir, "never")]]));
    expect(result.status).toBe(4);
    expect(failedSteps(result.stderr)).toEqual([{ step: 2, exitCode: 4 }]);
    expect(commandsStderr(result.stderr)).toBe("boom");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("under `continue`, runs every step and reports each failure", () => {
    const result = sh(batchArgv([["false"], ["touch", join(dir, "ran")], ["sh", "-c", "exit 3"]], "continue"));
    expect(result.status).toBe(3);
    expect(failedSteps(result.stderr)).toEqual([{ step: 1, exitCode: 1 }, { step: 3, exitCode: 3 }]);
    expect(readdirSync(dir)).toEqual(["ran"]);
  });

  it("refuses an empty command", () => {
    expect(() => batchArgv([[]])).toThrow(/at least its program name/);
  });
});

describe("writeRemoteFileArgv / removeRemoteFilesArgv", () => {
  const content = `${HOSTILE.join("\n")}\nno newline at the end`;

  it("writes content given as an argument, byte for byte, with the mode, creating directories", () => {
    const path = join(dir, "sub", "dir", "f.conf");
    expect(sh(writeRemoteFileArgv(path, "0640", content)).status).toBe(0);
    expect(readFileSync(path, "utf8")).toBe(content);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readdirSync(join(dir, "sub", "dir"))).toEqual(["f.conf"]); // no temporary file left
  });

  it("writes content from stdin when none is given", () => {
    const path = join(dir, "from-stdin");
    expect(sh(writeRemoteFileArgv(path, "0644"), content).status).toBe(0);
    expect(readFileSync(path, "utf8")).toBe(content);
  });

  it("replaces an existing file whole, and leaves it intact when the write fails", () => {
    const path = join(dir, "f");
    writeFileSync(path, "old\n");
    expect(sh(writeRemoteFileArgv(path, "0644", "new\n")).status).toBe(0);
    expect(readFileSync(path, "utf8")).toBe("new\n");
    const failed = sh(writeRemoteFileArgv(join(dir, "f", "cannot-be-under-a-file"), "0644", "x"));
    expect(failed.status).not.toBe(0);
    expect(readFileSync(path, "utf8")).toBe("new\n");
  });

  it("removes files, missing ones included", () => {
    const a = join(dir, "a");
    writeFileSync(a, "");
    expect(sh(removeRemoteFilesArgv([a, join(dir, "missing")])).status).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ["a relative path", () => writeRemoteFileArgv("etc/x", "0644", "")],
    ["a path with ..", () => writeRemoteFileArgv("/etc/../x", "0644", "")],
    ["a mode that is not octal", () => writeRemoteFileArgv("/etc/x", "rw-r--r--", "")],
    ["no paths", () => removeRemoteFilesArgv([])],
  ])("refuses %s", (_name, build) => {
    expect(build).toThrow();
  });
});

describe("RUN_COMMANDS_FROM_STDIN (the probe-then-apply script's second half)", () => {
  /** The script alone, as probeThenApplyArgv's script runs it after the probe. */
  const runFromStdin = (policy: "stop" | "continue", stdin: string) =>
    sh(["bash", "-c", `reply_wait=5\npolicy=${policy}\n${RUN_COMMANDS_FROM_STDIN}`], stdin);

  it("passes every argument through untouched, command by command", () => {
    const result = runFromStdin("stop", commandsOnStdin([["printf", "[%s]\\n", ...HOSTILE], ["printf", "%s|", "second"]]));
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(HOSTILE.map((a) => `[${a}]\n`).join("") + "second|");
  });

  it("stops at the first failure and names its step; under `continue`, runs on", () => {
    const commands = [["true"], ["sh", "-c", "echo boom >&2; exit 4"], ["touch", join(dir, "after")]];
    const stopped = runFromStdin("stop", commandsOnStdin(commands));
    expect(stopped.status).toBe(4);
    expect(failedSteps(stopped.stderr)).toEqual([{ step: 2, exitCode: 4 }]);
    expect(commandsStderr(stopped.stderr)).toBe("boom");
    expect(readdirSync(dir)).toEqual([]);
    const continued = runFromStdin("continue", commandsOnStdin(commands));
    expect(continued.status).toBe(4);
    expect(readdirSync(dir)).toEqual(["after"]);
  });

  it("runs nothing of a list cut short, wherever it was cut", () => {
    const whole = commandsOnStdin([["touch", join(dir, "one")], ["touch", join(dir, "two")]]);
    for (let length = 0; length < whole.length; length++) {
      const result = runFromStdin("stop", whole.slice(0, length));
      expect({ length, status: result.status }).toEqual({ length, status: REPLY_CUT_SHORT_EXIT });
      expect(result.stderr).toMatch(/the list of changes was cut short \(.+\); nothing was changed/);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it("an empty list runs nothing and succeeds", () => {
    expect(runFromStdin("stop", commandsOnStdin([]))).toMatchObject({ status: 0, stdout: "", stderr: "" });
  });
});
