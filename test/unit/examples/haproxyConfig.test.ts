// examples/lvs-haproxy's HaproxyConfig, without a lab: the rendered haproxy.cfg
// (haproxyTier.ts: hostile values refused, or rendered as one plain token), the read's
// parser, the diff, the provider's calls with a recording transport, the provider as
// Pulumi serialises it, and the host scripts run for real with this machine's /bin/sh
// against a fake `systemctl` and `haproxy` that keep their state in files: the original recorded once (a run cut short and run again does
// not take our file for the host's), a refused config changes nothing, delete puts the
// file and the service state back and can itself be run again.
// (What the real haproxy and systemd make of it: examples-cli.test.ts, on the lab.)

import { spawnSync } from "child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import * as pulumi from "@pulumi/pulumi";
import {
  applyArgv,
  diffHaproxyConfig,
  haproxyConfigProvider,
  makeHaproxyConfigProvider,
  parseLiveHaproxy,
  readArgv,
  restoreArgv,
  type HaproxyPaths,
  type SshTransport,
} from "../../../examples/lvs-haproxy/haproxyConfig";
import { renderHaproxyConfig, type HaproxyTier } from "../../../examples/lvs-haproxy/haproxyTier";
import { HOSTILE_STRINGS } from "../../support/hostileStrings";

const tier = (over: Partial<HaproxyTier> = {}): HaproxyTier => ({
  port: 8080,
  healthPath: "/healthz",
  webCheckPath: "/",
  webServers: [
    { name: "web1", address: "10.77.0.21", port: 80 },
    { name: "web2", address: "10.77.0.22", port: 80 },
  ],
  ...over,
});

describe("renderHaproxyConfig", () => {
  it("listens on the port, answers the health path itself (failing with no web server left), names the proxy, balances with checks", () => {
    const cfg = renderHaproxyConfig(tier());
    expect(cfg).toContain("frontend vip\n    bind :8080\n    monitor-uri /healthz\n    monitor fail if { nbsrv(web) lt 1 }\n    http-response set-header X-Haproxy %[hostname]\n    default_backend web\n");
    expect(cfg).toContain("backend web\n    balance roundrobin\n    option httpchk GET /\n    http-check expect status 200\n");
    expect(cfg).toContain("    server web1 10.77.0.21:80 check inter 2s fall 2 rise 2\n    server web2 10.77.0.22:80 check inter 2s fall 2 rise 2\n");
    expect(cfg.endsWith("\n")).toBe(true);
  });

  it("brackets IPv6 addresses", () => {
    expect(renderHaproxyConfig(tier({ webServers: [{ name: "v6", address: "fd77::21", port: 8000 }] }))).toContain("    server v6 [fd77::21]:8000 check");
  });

  it.each<[string, Partial<HaproxyTier>, RegExp]>([
    ["port 0", { port: 0 }, /port 0 must be an integer/],
    ["a fractional port", { port: 80.5 }, /port 80.5 must be an integer/],
    ["a health path with a space", { healthPath: "/a b" }, /healthPath "\/a b"/],
    ["a relative check path", { webCheckPath: "healthz" }, /webCheckPath "healthz"/],
    ["no web server", { webServers: [] }, /at least one web server/],
    ["a name used twice", { webServers: [{ name: "a", address: "10.0.0.1", port: 80 }, { name: "a", address: "10.0.0.2", port: 80 }] }, /"a" is used twice/],
    ["a host name as address", { webServers: [{ name: "a", address: "web.example", port: 80 }] }, /address "web.example" must be an IP address/],
    ["an address with a zone", { webServers: [{ name: "a", address: "fe80::1%eth0", port: 80 }] }, /without a zone/],
    ["a web port out of range", { webServers: [{ name: "a", address: "10.0.0.1", port: 70000 }] }, /port 70000/],
  ])("refuses %s", (_what, over, message) => {
    expect(() => renderHaproxyConfig(tier(over))).toThrow(message);
  });

  // Every value goes into HAProxy's line-based language unquoted: a hostile one must be
  // refused, or (only if it is a plain value after all) render without a line of its own.
  it("refuses every hostile string as a name, an address or a path, or renders it inert", () => {
    const clean = renderHaproxyConfig(tier()).split("\n").length;
    for (const { value } of HOSTILE_STRINGS) {
      const variants: Array<Partial<HaproxyTier>> = [
        { webServers: [{ name: value, address: "10.0.0.1", port: 80 }] },
        { webServers: [{ name: "a", address: value, port: 80 }] },
        { healthPath: value },
        { webCheckPath: value },
      ];
      for (const over of variants) {
        let cfg: string;
        try {
          cfg = renderHaproxyConfig(tier({ ...over, webServers: over.webServers ?? tier().webServers.slice(0, 1) }));
        } catch {
          continue;
        }
        expect(cfg.split("\n").length).toBe(clean - 1); // one web server instead of two
        expect(value).toMatch(/^[A-Za-z0-9_.\/~:-]{1,256}$/);
      }
    }
  });
});

describe("parseLiveHaproxy", () => {
  it("takes everything after the config header as the file, exactly, whatever it holds", () => {
    const file = "global\n== active\n== no config\n== config\n    # tricky\n";
    expect(parseLiveHaproxy(`== active\nactive\n== enabled\nenabled\n== owner\nlvs-haproxy/lab/proxy1-haproxy\n== config\n${file}`)).toEqual({
      active: true,
      enabled: true,
      owner: "lvs-haproxy/lab/proxy1-haproxy",
      config: file,
    });
  });

  it("reads a host without the file, without our record, haproxy stopped and disabled", () => {
    expect(parseLiveHaproxy("== active\ninactive\n== enabled\ndisabled\n== owner\n== no config\n")).toEqual({ active: false, enabled: false, owner: "", config: undefined });
  });

  it("keeps a file without a final newline as it is", () => {
    expect(parseLiveHaproxy("== active\nfailed\n== enabled\nenabled\n== owner\n== config\nglobal").config).toBe("global");
  });

  it("refuses output that is not the read's", () => {
    expect(() => parseLiveHaproxy("bash: sh: not found")).toThrow(/unexpected output/);
  });
});

describe("diffHaproxyConfig", () => {
  const connection = { host: "10.77.0.21", port: 22, user: "root", privateKey: "K", hostKey: "ssh-ed25519 AAAA" };
  const state = { connection, config: "global\n", owner: "p/s/n", active: true, enabled: true };
  it.each<[string, Record<string, unknown>, Record<string, unknown>, { changes: boolean; replaces: string[] }]>([
    ["nothing changed", state, { connection, config: "global\n", owner: "p/s/n" }, { changes: false, replaces: [] }],
    ["the same connection in another key order", state, { connection: Object.fromEntries(Object.entries(connection).reverse()), config: "global\n" }, { changes: false, replaces: [] }],
    ["the live file edited by hand (refresh read it)", { ...state, config: "global\n# edited\n" }, { connection, config: "global\n" }, { changes: true, replaces: [] }],
    ["a new config", state, { connection, config: "defaults\n" }, { changes: true, replaces: [] }],
    ["haproxy stopped by hand", { ...state, active: false }, { connection, config: "global\n" }, { changes: true, replaces: [] }],
    ["haproxy disabled by hand", { ...state, enabled: false }, { connection, config: "global\n" }, { changes: true, replaces: [] }],
    ["a rotated key: same host", state, { connection: { ...connection, privateKey: "K2" }, config: "global\n" }, { changes: true, replaces: [] }],
    ["another host", state, { connection: { ...connection, host: "10.77.0.22" }, config: "global\n" }, { changes: true, replaces: ["connection"] }],
    ["another SSH port", state, { connection: { ...connection, port: 2211 }, config: "global\n" }, { changes: true, replaces: ["connection"] }],
  ])("%s", (_what, olds, news, expected) => {
    expect(diffHaproxyConfig(olds, news)).toEqual({ ...expected, deleteBeforeReplace: true });
  });
});

/** A transport that records every call and answers reads from `live`. */
function recordingTransport(live: { stdout: string }) {
  const calls: Array<{ connection: unknown; argv: readonly string[]; stdin?: string }> = [];
  const transport: SshTransport = {
    run: async (connection, argv, opts) => {
      calls.push({ connection, argv, ...(opts?.stdin !== undefined ? { stdin: opts.stdin } : {}) });
      return { stdout: argv[3] === "lvs-haproxy-read" ? live.stdout : "" };
    },
    parseSshConnection: (raw) => {
      if ((raw as { host?: unknown }).host === "") throw Object.assign(new Error("bad"), { issues: [{ path: "connection.host", message: "must not be empty" }] });
      return raw;
    },
  };
  return { transport, calls };
}

const CONNECTION = { host: "10.77.0.21", port: 22, user: "root", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n", hostKey: "ssh-ed25519 AAAA" };
const LIVE = "== active\nactive\n== enabled\nenabled\n== owner\nlvs-haproxy/lab/proxy1-haproxy\n== config\nglobal\n";

describe("the provider, with a recording transport", () => {
  it("create sends the config on stdin to the apply script with its owner, then reads the host back", async () => {
    const { transport, calls } = recordingTransport({ stdout: LIVE });
    const provider = makeHaproxyConfigProvider(() => transport);
    const { id, outs } = await provider.create({ connection: CONNECTION, config: "global\n", owner: "lvs-haproxy/lab/proxy1-haproxy" });
    expect(id).toBe("10.77.0.21:22/haproxy.cfg");
    expect(calls.map((c) => c.argv)).toEqual([applyArgv("lvs-haproxy/lab/proxy1-haproxy"), readArgv()]);
    expect(calls[0]!.stdin).toBe("global\n");
    expect(calls.every((c) => c.connection === CONNECTION)).toBe(true);
    expect(outs).toEqual({ connection: CONNECTION, owner: "lvs-haproxy/lab/proxy1-haproxy", config: "global\n", active: true, enabled: true });
  });

  it("update applies as the owner that recorded the original; read reports the live file; delete restores", async () => {
    const live = { stdout: LIVE };
    const { transport, calls } = recordingTransport(live);
    const provider = makeHaproxyConfigProvider(() => transport);
    const olds = { connection: CONNECTION, config: "global\n", owner: "old/stack/proxy1-haproxy", active: true, enabled: true };
    await provider.update!("id", olds, { connection: CONNECTION, config: "defaults\n", owner: "new/stack/proxy1-haproxy" });
    expect(calls[0]!.argv).toEqual(applyArgv("old/stack/proxy1-haproxy"));
    expect(calls[0]!.stdin).toBe("defaults\n");

    live.stdout = "== active\ninactive\n== enabled\nenabled\n== owner\nold/stack/proxy1-haproxy\n== config\nglobal\n# by hand\n";
    const read = await provider.read!("id", olds);
    expect(read).toEqual({ id: "id", props: { ...olds, config: "global\n# by hand\n", active: false } });

    calls.length = 0;
    await provider.delete!("id", olds);
    expect(calls.map((c) => c.argv)).toEqual([restoreArgv()]);
  });

  it.each<[string, Record<string, unknown>, Array<{ property: string; reason: RegExp }>]>([
    ["a connection without a pinned host key", { connection: { ...CONNECTION, hostKey: undefined }, config: "global\n" }, [{ property: "connection.hostKey", reason: /must pin/ }]],
    ["a connection the transport refuses", { connection: { ...CONNECTION, host: "" }, config: "global\n" }, [{ property: "connection.host", reason: /must not be empty/ }]],
    ["an empty config", { connection: CONNECTION, config: " \n" }, [{ property: "config", reason: /text of haproxy.cfg/ }]],
    ["a config with NUL", { connection: CONNECTION, config: "global\0" }, [{ property: "config", reason: /no NUL/ }]],
  ])("check refuses %s", async (_what, news, failures) => {
    const provider = makeHaproxyConfigProvider(() => recordingTransport({ stdout: "" }).transport);
    const result = await provider.check!({}, news);
    expect(result.failures).toEqual(failures.map((f) => ({ property: f.property, reason: expect.stringMatching(f.reason) })));
  });

  it("check leaves values not known yet (preview) to the check at up", async () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const provider = makeHaproxyConfigProvider(() => recordingTransport({ stdout: "" }).transport);
    const news = { connection: { ...CONNECTION, host: unknown }, config: unknown };
    expect(await provider.check!({}, news)).toEqual({ inputs: news });
  });
});

describe("the provider as Pulumi serialises it (the state's __provider)", () => {
  let text: string;
  beforeAll(async () => {
    text = (await pulumi.runtime.serializeFunction(() => haproxyConfigProvider, { allowSecrets: false })).text;
  });

  it("loads the transport by package name and carries its scripts, no credential, no SDK", () => {
    expect(text).toContain('require("pulumi-lvs/provider/ssh")');
    expect(text).toContain("haproxy -c -f");
    expect(text).not.toMatch(/PRIVATE KEY|ssh2|zod|@pulumi\/pulumi/);
  });

  it("runs on its own: evaluated with only a require for the transport, create reaches it", async () => {
    const { transport, calls } = recordingTransport({ stdout: LIVE });
    const exported: { handler?: () => pulumi.dynamic.ResourceProvider } = {};
    const requireOnlyTransport = (id: string) => {
      if (id === "pulumi-lvs/provider/ssh") return transport;
      throw new Error(`the serialised provider required ${id}`);
    };
    new Function("exports", "require", text)(exported, requireOnlyTransport);
    const provider = exported.handler!();
    await provider.create({ connection: CONNECTION, config: "global\n", owner: "o" });
    expect(calls.map((c) => c.argv[3])).toEqual(["lvs-haproxy-apply", "lvs-haproxy-read"]);
  });
});

// ---------------------------------------------------------------------------------------
// The scripts, for real

// systemctl: unit state in $FAKE/enabled and $FAKE/active; what a (re)start or reload
// loaded is copied to $FAKE/loaded. FAKE_FAIL=<verb> makes that verb fail, as a run cut
// at that step would leave the host.
const FAKE_SYSTEMCTL = `#!/bin/sh
echo "systemctl $*" >>"$FAKE/calls"
verb=$1; shift
quiet=; for a do [ "$a" = --quiet ] && quiet=1; done
[ "$verb" = "\${FAKE_FAIL:-}" ] && { echo "systemctl $verb failed" >&2; exit 1; }
case $verb in
  is-enabled) s=$(cat "$FAKE/enabled"); [ -n "$quiet" ] || echo "$s"; [ "$s" = enabled ] ;;
  is-active) s=$(cat "$FAKE/active"); [ -n "$quiet" ] || echo "$s"; [ "$s" = active ] ;;
  enable) echo enabled >"$FAKE/enabled" ;;
  disable) echo disabled >"$FAKE/enabled" ;;
  stop) echo inactive >"$FAKE/active" ;;
  start|restart|reload|reload-or-restart) echo active >"$FAKE/active"; cp "$FAKE_CFG" "$FAKE/loaded" ;;
  *) exit 1 ;;
esac
`;
// haproxy -c -f FILE: refuses a file holding "bogus", as HAProxy refuses an unknown keyword.
const FAKE_HAPROXY = `#!/bin/sh
echo "haproxy $*" >>"$FAKE/calls"
if grep -q bogus "$3"; then echo "[ALERT] config : parsing [$3:2] : unknown keyword 'bogus' in 'global' section" >&2; exit 1; fi
echo "Configuration file is valid"
`;

let root: string;
let paths: HaproxyPaths;
let env: NodeJS.ProcessEnv;
const ORIGINAL = "global\n\tlog /dev/log local0\n# Debian's, with a tab\n";
const OURS = "# ours\nglobal\n";

function setHost(state: { config?: string; enabled: string; active: string }): void {
  if (state.config !== undefined) writeFileSync(paths.config, state.config);
  writeFileSync(join(root, "enabled"), `${state.enabled}\n`);
  writeFileSync(join(root, "active"), `${state.active}\n`);
}

const host = () => ({
  config: existsSync(paths.config) ? readFileSync(paths.config, "utf8") : undefined,
  enabled: readFileSync(join(root, "enabled"), "utf8").trim(),
  active: readFileSync(join(root, "active"), "utf8").trim(),
  files: readdirSync(join(root, "etc")).sort(),
});

function sh(argv: string[], stdin = "", extraEnv: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { input: stdin, encoding: "utf8", cwd: root, env: { ...env, ...extraEnv } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const apply = (config: string, owner = "p/s/proxy1-haproxy", extraEnv: Record<string, string> = {}) => sh(applyArgv(owner, paths), config, extraEnv);
const restore = (extraEnv: Record<string, string> = {}) => sh(restoreArgv(paths), "", extraEnv);
const calls = () => (existsSync(join(root, "calls")) ? readFileSync(join(root, "calls"), "utf8").split("\n").filter((l) => l) : []);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "lvs-haproxy-"));
  const bin = join(root, "bin");
  mkdirSync(bin);
  mkdirSync(join(root, "etc"));
  writeFileSync(join(bin, "systemctl"), FAKE_SYSTEMCTL);
  writeFileSync(join(bin, "haproxy"), FAKE_HAPROXY);
  chmodSync(join(bin, "systemctl"), 0o755);
  chmodSync(join(bin, "haproxy"), 0o755);
  paths = { config: join(root, "etc", "haproxy.cfg"), original: join(root, "etc", "haproxy.cfg.pulumi-lvs-orig"), record: join(root, "etc", "haproxy.cfg.pulumi-lvs-record") };
  // No /sbin or /usr/sbin: a haproxy installed on this machine must not stand in for the fake.
  env = { FAKE: root, FAKE_CFG: paths.config, PATH: `${bin}:/usr/bin:/bin` };
  setHost({ config: ORIGINAL, enabled: "disabled", active: "inactive" });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("the host scripts (fake systemctl and haproxy)", () => {
  it("apply checks the candidate, records the host's file and service state once, swaps, enables and starts; restore puts all of it back", () => {
    expect(apply(OURS)).toMatchObject({ status: 0, stderr: "" });
    expect(host()).toEqual({ config: OURS, enabled: "enabled", active: "active", files: ["haproxy.cfg", "haproxy.cfg.pulumi-lvs-orig", "haproxy.cfg.pulumi-lvs-record"] });
    expect(readFileSync(join(root, "loaded"), "utf8")).toBe(OURS);
    expect(readFileSync(paths.original, "utf8")).toBe(ORIGINAL);
    expect(readFileSync(paths.record, "utf8")).toBe("owner=p/s/proxy1-haproxy\nfile=present\nenabled=disabled\nactive=inactive\n");
    // The check ran on the candidate, before anything was changed.
    const log = calls();
    expect(log.findIndex((l) => /^haproxy -c -f .*haproxy\.cfg\.pulumi-lvs-tmp\./.test(l))).toBeLessThan(log.indexOf("systemctl enable --quiet haproxy"));

    const live = parseLiveHaproxy(sh(readArgv(paths)).stdout);
    expect(live).toEqual({ active: true, enabled: true, owner: "p/s/proxy1-haproxy", config: OURS });

    expect(restore()).toMatchObject({ status: 0, stderr: "" });
    expect(host()).toEqual({ config: ORIGINAL, enabled: "disabled", active: "inactive", files: ["haproxy.cfg"] });
    // Run again (a delete retried): nothing left to do, and nothing changes.
    expect(restore().status).toBe(0);
    expect(host()).toEqual({ config: ORIGINAL, enabled: "disabled", active: "inactive", files: ["haproxy.cfg"] });
  });

  it("a config haproxy -c refuses changes nothing and says why", () => {
    const r = apply("global\n  bogus\n");
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/haproxy -c refused the configuration:\n.*unknown keyword 'bogus'/);
    expect(host()).toEqual({ config: ORIGINAL, enabled: "disabled", active: "inactive", files: ["haproxy.cfg"] });
    expect(calls().filter((l) => l.startsWith("systemctl") && !/is-enabled/.test(l))).toEqual([]);
  });

  it.each(["enable", "reload-or-restart"])("a create cut at `systemctl %s` and run again keeps the host's file as the original", (step) => {
    expect(apply(OURS, undefined, { FAKE_FAIL: step }).status).not.toBe(0);
    expect(host().config).toBe(OURS); // swapped before the cut
    expect(apply(OURS).status).toBe(0);
    expect(readFileSync(paths.original, "utf8")).toBe(ORIGINAL);
    expect(readFileSync(paths.record, "utf8")).toContain("enabled=disabled\nactive=inactive\n");
    expect(restore().status).toBe(0);
    expect(host()).toEqual({ config: ORIGINAL, enabled: "disabled", active: "inactive", files: ["haproxy.cfg"] });
  });

  it("an update keeps the first record, reloads the new file, and leaves no candidate behind", () => {
    expect(apply(OURS).status).toBe(0);
    writeFileSync(`${paths.config}.pulumi-lvs-tmp.AbC123`, "left by a run cut short");
    expect(apply("# ours, v2\nglobal\n").status).toBe(0);
    expect(readFileSync(join(root, "loaded"), "utf8")).toBe("# ours, v2\nglobal\n");
    expect(readFileSync(paths.original, "utf8")).toBe(ORIGINAL);
    expect(host().files).toEqual(["haproxy.cfg", "haproxy.cfg.pulumi-lvs-orig", "haproxy.cfg.pulumi-lvs-record"]);
  });

  it("refuses a host whose file another HaproxyConfig recorded", () => {
    expect(apply(OURS, "p/s/proxy1-haproxy").status).toBe(0);
    const r = apply("# other\nglobal\n", "p/s/other");
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/is managed by p\/s\/proxy1-haproxy .*one HaproxyConfig per host/);
    expect(host().config).toBe(OURS);
  });

  it("puts back a running, enabled haproxy with its file, reloaded", () => {
    setHost({ enabled: "enabled", active: "active" });
    expect(apply(OURS).status).toBe(0);
    expect(restore().status).toBe(0);
    expect(host()).toEqual({ config: ORIGINAL, enabled: "enabled", active: "active", files: ["haproxy.cfg"] });
    expect(readFileSync(join(root, "loaded"), "utf8")).toBe(ORIGINAL);
  });

  it("a host that had no haproxy.cfg has none again after restore", () => {
    rmSync(paths.config);
    expect(apply(OURS).status).toBe(0);
    expect(readFileSync(paths.record, "utf8")).toContain("file=absent\n");
    expect(restore().status).toBe(0);
    expect(host()).toEqual({ config: undefined, enabled: "disabled", active: "inactive", files: [] });
    expect(parseLiveHaproxy(sh(readArgv(paths)).stdout)).toEqual({ active: false, enabled: false, owner: "", config: undefined });
  });

  it("a restore cut after `systemctl stop` completes when run again; one cut after the record went removes the original it left", () => {
    expect(apply(OURS).status).toBe(0);
    expect(restore({ FAKE_FAIL: "disable" }).status).not.toBe(0);
    expect(restore().status).toBe(0);
    expect(host()).toEqual({ config: ORIGINAL, enabled: "disabled", active: "inactive", files: ["haproxy.cfg"] });

    writeFileSync(paths.original, ORIGINAL); // as a delete cut between its last two steps leaves it
    expect(restore().status).toBe(0);
    expect(host().files).toEqual(["haproxy.cfg"]);
  });

  it("refuses a host without haproxy, or with haproxy.service masked, before changing anything", () => {
    rmSync(join(root, "bin", "haproxy"));
    expect(apply(OURS)).toMatchObject({ status: 3, stderr: expect.stringMatching(/haproxy is not installed/) });
    writeFileSync(join(root, "bin", "haproxy"), FAKE_HAPROXY);
    chmodSync(join(root, "bin", "haproxy"), 0o755);
    setHost({ enabled: "masked", active: "inactive" });
    expect(apply(OURS)).toMatchObject({ status: 3, stderr: expect.stringMatching(/masked/) });
    expect(host()).toEqual({ config: ORIGINAL, enabled: "masked", active: "inactive", files: ["haproxy.cfg"] });
  });

  it("takes hostile values as data: an owner full of shell is written to the record, never run", () => {
    const owner = "x'; touch pwned; echo '$(touch pwned2)`touch pwned3`";
    expect(apply(OURS, owner).status).toBe(0);
    expect(readFileSync(paths.record, "utf8")).toContain(`owner=${owner}\n`);
    expect(readdirSync(root).filter((f) => f.startsWith("pwned"))).toEqual([]);
  });
});
