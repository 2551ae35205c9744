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
    expect(removePairArgv()[2]).toContain(`host_lock ${JSON.stringify(KEEPALIVED_LOCK_FILE)} `);
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
    const end = apply.indexOf("# In a PID namespace of its own");
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

/** A piece of a host script's real text, from `from` up to (not including) `to`. */
function piece(script: string, from: string, to: string): string {
  const start = script.indexOf(from);
  const end = script.indexOf(to, start);
  expect([start, end].every((i) => i >= 0) && start < end).toBe(true);
  return script.slice(start, end);
}

function runPiece(prelude: string, text: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("sh", ["-c", `${prelude}\n${text}`, "piece"], { encoding: "utf8", cwd: dir, timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("status: keepalived's JSON dump, run for real on a scratch sticky directory", () => {
  // The loop between the signal and `dump <state>`, with `kill` standing in for keepalived.
  // keepalived 2.2 renames a fresh (empty) file over the path, then writes into it.
  const loop = () => piece(statusArgv()[2]!, "identity() {", "printf 'addrs");
  const JSON_TEXT = '[{"data":{"iname":"VI_51","state":2,"vrid":51,"auth_data":"s3cret"}}]';
  let tmp: string;
  let dumpPath: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(dir, "tmp-"));
    spawnSync("chmod", ["1777", tmp]);
    dumpPath = join(tmp, "keepalived.json");
  });
  const prelude = (onSignal: string) =>
    `dump=${JSON.stringify(dumpPath)} pid=4242\nexport JSON_TEXT=${JSON.stringify(JSON_TEXT)}\nkeepalived() { echo 10; }\nkill() { ( ${onSignal} ) & }`;
  const keepalivedWrites = `t="$dump.tmpXY"; : >"$t"; chmod 0644 "$t"; mv -f "$t" "$dump"; sleep 0.3; printf '%s' "$JSON_TEXT" >"$dump"`;

  it("reads the dump keepalived wrote after the signal, once it stopped growing, and removes it (it holds the password)", () => {
    writeFileSync(dumpPath, "[]"); // an older dump of keepalived's own: not what we asked for
    const r = runPiece(prelude(keepalivedWrites), loop());
    expect(r.stdout).toContain(`json ${Buffer.from(JSON_TEXT).toString("base64")}\n`);
    expect(r.stdout).toContain("dump fresh\n");
    expect(readdirSync(tmp)).toEqual([]);
  });

  it.each([
    ["planted by another user", `printf '%s' "$JSON_TEXT" >"$dump"; chown 65534:65534 "$dump"`],
    ["a symlink to a root-owned file", `ln -s /etc/hostname "$dump"`],
    ["writable by others", `printf '%s' "$JSON_TEXT" >"$dump"; chmod 0666 "$dump"`],
  ])("a dump %s is never read (and left alone)", (_what, plant) => {
    const r = runPiece(prelude(plant), loop().replace('"$i" -lt 50', '"$i" -lt 10')); // fewer polls: the outcome is the same
    expect(r.stdout).not.toContain("json ");
    expect(r.stdout).toContain("dump untrusted\n");
    expect(readdirSync(tmp)).toEqual(["keepalived.json"]);
  });

  it("no dump after the signal is `missing`, not the old file", () => {
    writeFileSync(dumpPath, JSON_TEXT);
    const r = runPiece(prelude(":"), loop().replace('"$i" -lt 50', '"$i" -lt 10'));
    expect(r.stdout).toBe("dump missing\n");
  });
});

describe("apply: a candidate that never goes live leaves nothing behind", () => {
  const setup = () => `${piece(applyArgv(true, false)[2]!, "fresh_root=no", "while IFS=' ' read -r op rel data")}exit 65\n`;

  it("the first install on a node: the tree it created is removed again", () => {
    const root = join(mkdtempSync(join(dir, "etc-")), "pulumi-lvs");
    const r = runPiece(`root=${JSON.stringify(root)} live=${JSON.stringify(join(root, "live"))}`, setup());
    expect(r.status).toBe(65);
    expect(spawnSync("test", ["-e", root]).status).not.toBe(0);
  });

  it("a node with a tree already: only the candidate generation goes", () => {
    const root = mkdtempSync(join(dir, "pl-"));
    mkdirSync(join(root, "gen.1"));
    spawnSync("ln", ["-s", "gen.1", join(root, "live")]);
    const r = runPiece(`root=${JSON.stringify(root)} live=${JSON.stringify(join(root, "live"))}`, setup());
    expect(r.status).toBe(65);
    expect(readdirSync(root).sort()).toEqual(["gen.1", "live"]);
  });
});

describe("remove-pair, run for real on a scratch tree with a stand-in systemctl", () => {
  const body = () => piece(removePairArgv()[2]!, 'orig="$main', "echo removed").replace(JSON.stringify("/tmp/keepalived.json"), '"$dumpfile"');
  function scratch(): { etc: string; prelude: string; log: string } {
    const etc = mkdtempSync(join(dir, "ka-"));
    const log = join(etc, "systemctl.log");
    const prelude = [
      `root=${JSON.stringify(join(etc, "pulumi-lvs"))} main=${JSON.stringify(join(etc, "keepalived.conf"))} live=${JSON.stringify(join(etc, "pulumi-lvs", "live"))}`,
      `marker=${JSON.stringify(MAIN_FILE_MARKER)} dumpfile=${JSON.stringify(join(etc, "keepalived.json"))}`,
      `systemctl() { echo "$*" >>${JSON.stringify(log)}; [ "$1" != is-active ]; }`,
      `ipvsadm() { echo "ipvsadm $*" >>${JSON.stringify(log)}; }`,
      // The script's own helpers (defined in its common part, before the piece under test).
      piece(removePairArgv()[2]!, "has_sync()", "swap_live()"),
    ].join("\n");
    return { etc, prelude, log };
  }

  it("stops the IPVS sync daemons keepalived left running when the pair had lvs_sync_daemon, and only then", () => {
    for (const synced of [true, false]) {
      const { etc, prelude, log } = scratch();
      mkdirSync(join(etc, "pulumi-lvs", "gen.1"), { recursive: true });
      spawnSync("ln", ["-s", "gen.1", join(etc, "pulumi-lvs", "live")]);
      writeFileSync(join(etc, "pulumi-lvs", "gen.1", "keepalived.conf"), `global_defs {\n  router_id dir1\n${synced ? "  lvs_sync_daemon eth1 VI_51\n" : ""}}\n`);
      writeFileSync(join(etc, "keepalived.conf"), `${MAIN_FILE_MARKER}\ninclude x\n`);
      const r = runPiece(prelude, body());
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
      const stops = readFileSync(log, "utf8").split("\n").filter((l) => l.startsWith("ipvsadm"));
      expect(stops).toEqual(synced ? ["ipvsadm --stop-daemon master", "ipvsadm --stop-daemon backup"] : []);
      expect(r.stdout.includes("stopped sync daemons\n")).toBe(synced);
    }
  });

  it("a run cut after the user's keepalived.conf was moved aside, before ours was written: it comes back", () => {
    const { etc, prelude, log } = scratch();
    mkdirSync(join(etc, "pulumi-lvs", "gen.1"), { recursive: true });
    writeFileSync(join(etc, "pulumi-lvs", "original"), "conf=kept\nactive=yes\nenabled=yes\n");
    writeFileSync(join(etc, "keepalived.conf.pulumi-lvs-orig"), "# the user's own\n");
    writeFileSync(join(etc, "keepalived.json"), "{}");
    const r = runPiece(prelude, body());
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(readFileSync(join(etc, "keepalived.conf"), "utf8")).toBe("# the user's own\n");
    expect(readdirSync(etc).sort()).toEqual(["keepalived.conf", "systemctl.log"]);
    expect(r.stdout).toContain(`restored ${join(etc, "keepalived.conf")}\n`);
    expect(readFileSync(log, "utf8")).toContain("start keepalived");
  });

  it("a user's keepalived.conf that is not ours is never touched", () => {
    const { etc, prelude } = scratch();
    mkdirSync(join(etc, "pulumi-lvs"));
    writeFileSync(join(etc, "keepalived.conf"), "# someone else's\n");
    const r = runPiece(prelude, body());
    expect(r.status).toBe(0);
    expect(readFileSync(join(etc, "keepalived.conf"), "utf8")).toBe("# someone else's\n");
    expect(readdirSync(etc)).not.toContain("pulumi-lvs");
  });
});

describe("apply: the file operations, run for real on a scratch generation (issue 12's fault matrix)", () => {
  /** The op loop of the apply script, reading `ops` on stdin, in generation `gen` of a scratch root. */
  function runOps(root: string, ops: string): void {
    const apply = applyArgv(false, false)[2]!;
    const start = apply.indexOf("while IFS=' ' read -r op rel data; do");
    const end = apply.indexOf("\ndone\n", start) + "\ndone\n".length;
    expect(start > 0 && end > start).toBe(true);
    const script = `set -eu\nroot=$1 new=gen\n${apply.slice(start, end)}`;
    const r = spawnSync("sh", ["-c", script, "ops", root], { input: ops, encoding: "utf8" });
    expect(r.status).toBe(0);
  }

  it("removing a service's last real server removes its directory, as it was before that real server's create", () => {
    const root = mkdtempSync(join(tmpdir(), "kaops-"));
    try {
      mkdirSync(join(root, "gen", "services", "tcp_10.0.0.1_80.d"), { recursive: true });
      writeFileSync(join(root, "gen", "keepalived.conf"), "x");
      writeFileSync(join(root, "gen", "services", "0-pulumi-lvs-empty.conf"), "");
      writeFileSync(join(root, "gen", "services", "tcp_10.0.0.1_80.d", "10.0.0.21_80.conf"), "rs");
      runOps(root, "remove services/tcp_10.0.0.1_80.d/10.0.0.21_80.conf\n");
      expect(readdirSync(join(root, "gen", "services")).sort()).toEqual(["0-pulumi-lvs-empty.conf"]);
      runOps(root, "remove keepalived.conf\n");
      expect(readdirSync(join(root))).toEqual(["gen"]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
