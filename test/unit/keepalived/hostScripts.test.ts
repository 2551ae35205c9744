// The shell that runs on pair nodes: every script is a constant that parses with this
// machine's /bin/sh (dash, as on Debian nodes), and what varies reaches it only as
// positional parameters, never inside the script text.

import { spawnSync } from "child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join } from "path";
import { CONFIG_ROOT, KEEPALIVED_CONF, LIVE_LINK } from "../../../provider/keepalived/layout";
import { KEEPALIVED_LOCK_FILE, MAIN_FILE_MARKER, applyArgv, readFilesArgv, removePairArgv, statusArgv } from "../../../provider/keepalived/hostScripts";

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "ka-scripts-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `sh -n` on the script text: exit status and complaints. */
function syntaxCheck(name: string, script: string): { status: number | null; stderr: string } {
  const file = join(dir, `${name}.sh`);
  writeFileSync(file, script);
  const r = spawnSync("sh", ["-n", file], { encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

const SCRIPTS: Array<[string, string[]]> = [
  ["apply", applyArgv(true, false)],
  ["remove-pair", removePairArgv()],
  ["read", readFilesArgv(["keepalived.conf"])],
  ["status", statusArgv()],
];

describe("every host script", () => {
  it.each(SCRIPTS)("%s parses with sh -n", (name, argv) => {
    expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(syntaxCheck(name, argv[2]!)).toEqual({ status: 0, stderr: "" });
  });

  it("the syntax check itself catches a broken script", () => {
    expect(syntaxCheck("broken", `${applyArgv(false, false)[2]}\nif true; then\n`).status).not.toBe(0);
  });

  it.each(SCRIPTS)("%s names itself as $0, so a host's process list says what runs", (name, argv) => {
    expect(argv[3]).toBe(`pulumi-lvs-keepalived-${name}`);
  });
});

describe("what varies travels as parameters", () => {
  it("apply: the same script for every mode; the mode is $1 and $2", () => {
    const variants = [applyArgv(true, true), applyArgv(true, false), applyArgv(false, true), applyArgv(false, false)];
    expect(new Set(variants.map((a) => a[2])).size).toBe(1);
    expect(variants.map((a) => a.slice(4))).toEqual([
      ["pair", "adopt"],
      ["pair", "no-adopt"],
      ["service", "adopt"],
      ["service", "no-adopt"],
    ]);
  });

  it("read: the paths are positional parameters, not script text", () => {
    const paths = ["keepalived.conf", "services/tcp_fd00--1_443.vs", "services/$(reboot).vs"];
    const argv = readFilesArgv(paths);
    expect(argv.slice(4)).toEqual(paths);
    expect(argv[2]).toBe(readFilesArgv([])[2]);
    expect(argv[2]).not.toContain("$(reboot)");
  });

  it("the scripts work on the layout's paths and hold the change under one lock", () => {
    const apply = applyArgv(false, false)[2]!;
    for (const constant of [CONFIG_ROOT, KEEPALIVED_CONF, LIVE_LINK, MAIN_FILE_MARKER, KEEPALIVED_LOCK_FILE]) expect(apply).toContain(JSON.stringify(constant));
    expect(removePairArgv()[2]).toContain(`flock 9`);
    expect(apply).toContain("keepalived -t -f");
  });
});

describe("apply: the services' include step, run for real on a scratch tree", () => {
  // The part of the apply script between staging the files and `keepalived -t`, cut out of
  // the real script text and run with $root/$new pointing at a temporary directory (the
  // whole script needs root's paths, the lock and systemd).
  function includeStep(): string {
    const apply = applyArgv(false, false)[2]!;
    const start = apply.indexOf("# keepalived refuses a virtual_server without real servers");
    const end = apply.indexOf("if ! out=$(cd / && keepalived -t");
    expect([start, end].every((i) => i > 0) && start < end).toBe(true);
    return `set -eu\n${apply.slice(start, end)}`;
  }

  it("includes a service only with real servers, removes orphan includes, keeps the placeholder", () => {
    const root = mkdtempSync(join(dir, "tree-"));
    const services = join(root, "gen.1", "services");
    const files: Record<string, string> = {
      "0-placeholder.conf": "# placeholder\n",
      "withrs.vs": "virtual_server 10.0.0.100 80 {\n",
      "withrs.d/10.0.1.1_80.conf": "real_server 10.0.1.1 80 {\n}\n",
      "norss.vs": "virtual_server 10.0.0.100 81 {\n",
      "norss.conf": "include norss.vs\n",
      "gone.conf": "include gone.vs\n",
    };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(services, path)), { recursive: true });
      writeFileSync(join(services, path), content);
    }
    // `root` and `new` are plain shell variables in the script: they come in through the environment.
    const r = spawnSync("sh", ["-c", includeStep(), "include-step"], { encoding: "utf8", env: { ...process.env, root, new: "gen.1" }, cwd: dir });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(readdirSync(services).filter((f) => f.endsWith(".conf")).sort()).toEqual(["0-placeholder.conf", "withrs.conf"]);
    expect(readFileSync(join(services, "withrs.conf"), "utf8")).toBe("include withrs.vs\n");
    expect(readFileSync(join(services, "0-placeholder.conf"), "utf8")).toBe("# placeholder\n");
  });
});
