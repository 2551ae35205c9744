// The registry's constant scripts (register, release, the lock), run for real with this
// machine's /bin/sh against a fake `sysctl` and `ip` that keep their state in files. This
// is the several-resources-per-host logic: originals recorded once, restored by the last
// resource that needs them, shared VIPs kept while another record names them.

import { spawnSync } from "child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { ARP_STATE_DIRECTORY, boundVips, desiredArpSysctls, lockedArgv, renderArpOp, renderRecord, type ArpOp } from "../../../provider/arp";
import { batchArgv } from "../../../provider/resource/commandBatch";

let root: string;
let registry: string;
let env: NodeJS.ProcessEnv;

// sysctl: values in $FAKE/sysctl/<name>; understands -n -e NAME, -q [-e] -w NAME=VALUE...
const FAKE_SYSCTL = `#!/bin/sh
store=$FAKE/sysctl
mode=print
for arg do
  case $arg in
    -n) mode=value ;; -w) mode=write ;; -q|-e|--) ;;
    *=*) name=\${arg%%=*}; f=$store/$(printf %s "$name" | tr / %); [ -f "$f" ] || exit 255; printf '%s\\n' "\${arg#*=}" >"$f" ;;
    *) f=$store/$(printf %s "$arg" | tr / %); [ -f "$f" ] && cat "$f" ;;
  esac
done
`;
// ip: addresses in $FAKE/addrs as "ADDR DEV" lines; understands addr replace|del ADDR dev DEV [nodad].
const FAKE_IP = `#!/bin/sh
[ "$1" = addr ] || exit 0
verb=$2 addr=$3 dev=$5
touch "$FAKE/addrs"
grep -vxF -- "$addr $dev" "$FAKE/addrs" >"$FAKE/addrs.new"
found=$(grep -cxF -- "$addr $dev" "$FAKE/addrs")
mv "$FAKE/addrs.new" "$FAKE/addrs"
if [ "$verb" = replace ]; then echo "$addr $dev" >>"$FAKE/addrs"; elif [ "$found" = 0 ]; then echo "RTNETLINK answers: Cannot assign requested address" >&2; exit 2; fi
`;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "arp-scripts-"));
  registry = join(root, "registry");
  const bin = join(root, "bin");
  mkdirSync(bin);
  mkdirSync(join(root, "sysctl"));
  writeFileSync(join(bin, "sysctl"), FAKE_SYSCTL);
  writeFileSync(join(bin, "ip"), FAKE_IP);
  chmodSync(join(bin, "sysctl"), 0o755);
  chmodSync(join(bin, "ip"), 0o755);
  env = { ...process.env, FAKE: root, PATH: `${bin}:${process.env["PATH"]}` };
  for (const [name, value] of Object.entries(HOST)) setSysctl(name, value);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const HOST: Record<string, string> = {
  "net.ipv4.conf.all.arp_ignore": "0",
  "net.ipv4.conf.all.arp_announce": "0",
  "net.ipv4.conf.lo.arp_ignore": "0",
  "net.ipv4.conf.lo.arp_announce": "0",
  "net.ipv4.conf.eth1.arp_ignore": "0",
  "net.ipv4.conf.eth1.arp_announce": "0",
  "net.ipv4.conf.eth2.arp_ignore": "0",
  "net.ipv4.conf.eth2.arp_announce": "0",
  "net.ipv4.conf.eth0/100.arp_ignore": "0",
  "net.ipv4.conf.eth0/100.arp_announce": "0",
};

const sysctlFile = (name: string) => join(root, "sysctl", name.replace(/\//g, "%"));
const setSysctl = (name: string, value: string) => writeFileSync(sysctlFile(name), `${value}\n`);
const getSysctl = (name: string) => readFileSync(sysctlFile(name), "utf8").trim();
const addresses = () => (existsSync(join(root, "addrs")) ? readFileSync(join(root, "addrs"), "utf8").split("\n").filter((l) => l) : []);

/** The op's argv, pointed at the test's registry instead of /var/lib/pulumi-lvs/arp. */
function argvOf(op: ArpOp): string[] {
  const argv = renderArpOp(op);
  const at = argv.indexOf(ARP_STATE_DIRECTORY);
  expect(at).toBeGreaterThan(0);
  argv[at] = registry;
  return argv;
}

function run(argv: readonly string[]) {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function register(key: string, interfaces: string[], vips: string[], kept: string[] = []) {
  const sysctls = desiredArpSysctls("dr", interfaces);
  const record = renderRecord({ sysctls, vips: boundVips(vips, "dr"), kept: boundVips(kept, "dr") });
  const result = run(argvOf({ kind: "register", key, record, sysctls }));
  expect(result).toMatchObject({ status: 0, stderr: "" });
  for (const vip of boundVips(vips, "dr")) expect(run(["ip", "addr", "replace", `${vip.address}/${vip.prefixLength}`, "dev", vip.device]).status).toBe(0);
}

const release = (key: string) => run(argvOf({ kind: "release", key }));

describe("register", () => {
  it("records the originals, then the record, then sets the values", () => {
    setSysctl("net.ipv4.conf.eth1.arp_announce", "1");
    register("aaaaaaaaaaaa", ["eth1"], ["10.77.0.210"]);
    expect(getSysctl("net.ipv4.conf.eth1.arp_ignore")).toBe("1");
    expect(getSysctl("net.ipv4.conf.eth1.arp_announce")).toBe("2");
    expect(readFileSync(join(registry, "original", "net.ipv4.conf.eth1.arp_announce"), "utf8")).toBe("1\n");
    expect(readdirSync(join(registry, "original")).sort()).toEqual(Object.keys(desiredArpSysctls("dr", ["eth1"])).sort());
    expect(readFileSync(join(registry, "aaaaaaaaaaaa.record"), "utf8")).toContain("vip 10.77.0.210/32 lo\n");
  });

  it("never overwrites an original: a second resource finds our values, not the host's", () => {
    register("aaaaaaaaaaaa", ["eth1"], ["10.77.0.210"]);
    register("bbbbbbbbbbbb", ["eth1"], ["10.77.0.211"]);
    expect(readFileSync(join(registry, "original", "net.ipv4.conf.all.arp_ignore"), "utf8")).toBe("0\n");
  });

  it("keeps an interface name with a dot (VLAN) as one file name", () => {
    register("aaaaaaaaaaaa", ["eth0.100"], ["10.77.0.210"]);
    expect(readdirSync(join(registry, "original"))).toContain("net.ipv4.conf.eth0%100.arp_ignore");
    expect(release("aaaaaaaaaaaa").status).toBe(0);
    expect(existsSync(join(registry, "original"))).toBe(false);
  });
});

describe("release", () => {
  it("adopted: a VIP bound by hand before (kept) stays bound, and the sysctls set by hand keep their values", () => {
    for (const name of Object.keys(desiredArpSysctls("dr", ["eth1"]))) setSysctl(name, name.endsWith("arp_ignore") ? "1" : "2");
    expect(run(["ip", "addr", "replace", "10.77.0.210/32", "dev", "lo"]).status).toBe(0);
    register("aaaaaaaaaaaa", ["eth1"], ["10.77.0.210", "10.77.0.211"], ["10.77.0.210"]);
    expect(readFileSync(join(registry, "aaaaaaaaaaaa.record"), "utf8")).toContain("kept 10.77.0.210/32 lo\n");
    expect(release("aaaaaaaaaaaa")).toMatchObject({ status: 0 });
    expect(addresses()).toEqual(["10.77.0.210/32 lo"]);
    expect(getSysctl("net.ipv4.conf.eth1.arp_announce")).toBe("2");
    expect(existsSync(registry)).toBe(false);
  });

  it("adopted and shared: the record that still needs a kept VIP keeps it, so the last release leaves it bound too", () => {
    expect(run(["ip", "addr", "replace", "10.77.0.210/32", "dev", "lo"]).status).toBe(0);
    register("aaaaaaaaaaaa", ["eth1"], ["10.77.0.210"], ["10.77.0.210"]);
    register("bbbbbbbbbbbb", ["eth1"], ["10.77.0.210", "10.77.0.211"]);
    expect(release("aaaaaaaaaaaa")).toMatchObject({ status: 0 });
    expect(readFileSync(join(registry, "bbbbbbbbbbbb.record"), "utf8")).toMatch(/^vip 10\.77\.0\.211\/32 lo\nkept 10\.77\.0\.210\/32 lo\n$/m);
    expect(release("bbbbbbbbbbbb")).toMatchObject({ status: 0 });
    expect(addresses()).toEqual(["10.77.0.210/32 lo"]);
  });

  it("alone on the host: restores every original, removes its VIPs, its record and the originals", () => {
    register("aaaaaaaaaaaa", ["eth1"], ["10.77.0.210", "fd77::210"]);
    expect(addresses()).toEqual(["10.77.0.210/32 lo", "fd77::210/128 lo"]);
    expect(release("aaaaaaaaaaaa")).toMatchObject({ status: 0 });
    for (const [name, value] of Object.entries(HOST)) expect(getSysctl(name)).toBe(value);
    expect(addresses()).toEqual([]);
    expect(existsSync(registry)).toBe(false);
  });

  it("keeps what another record still needs, and the other's originals for its own delete", () => {
    register("aaaaaaaaaaaa", ["eth1"], ["10.77.0.210", "10.77.0.212"]);
    register("bbbbbbbbbbbb", ["eth2"], ["10.77.0.211", "10.77.0.212"]);
    expect(release("aaaaaaaaaaaa").status).toBe(0);
    // all/lo are B's too: kept. eth1 was only A's: restored. The shared VIP stays.
    expect(getSysctl("net.ipv4.conf.all.arp_ignore")).toBe("1");
    expect(getSysctl("net.ipv4.conf.lo.arp_announce")).toBe("2");
    expect(getSysctl("net.ipv4.conf.eth1.arp_ignore")).toBe("0");
    expect(getSysctl("net.ipv4.conf.eth2.arp_ignore")).toBe("1");
    expect(addresses().sort()).toEqual(["10.77.0.211/32 lo", "10.77.0.212/32 lo"]);
    expect(release("bbbbbbbbbbbb").status).toBe(0);
    for (const [name, value] of Object.entries(HOST)) expect(getSysctl(name)).toBe(value);
    expect(addresses()).toEqual([]);
    expect(existsSync(registry)).toBe(false);
  });

  it("is a no-op for a record that is gone (a second delete)", () => {
    expect(release("cccccccccccc")).toMatchObject({ status: 0 });
  });

  it("without its record (a release cut after removing it), takes the registry's empty directories, and only empty ones", () => {
    mkdirSync(join(registry, "original"), { recursive: true });
    expect(release("aaaaaaaaaaaa")).toMatchObject({ status: 0 });
    expect(existsSync(registry)).toBe(false);
    register("bbbbbbbbbbbb", ["eth1"], ["10.77.0.211"]);
    expect(release("aaaaaaaaaaaa")).toMatchObject({ status: 0 });
    expect(readdirSync(registry)).toContain("bbbbbbbbbbbb.record");
    expect(addresses()).toEqual(["10.77.0.211/32 lo"]);
  });

  it("does not fail on a VIP already removed by hand", () => {
    register("aaaaaaaaaaaa", [], ["10.77.0.210"]);
    run(["ip", "addr", "del", "10.77.0.210/32", "dev", "lo"]);
    expect(release("aaaaaaaaaaaa").status).toBe(0);
    expect(existsSync(registry)).toBe(false);
  });
});

describe("lockedArgv", () => {
  it("runs the command with its arguments untouched, holding a lock file in the registry", () => {
    const argv = lockedArgv(batchArgv([["printf", "[%s]", "a b", "$(id)", "`x`"]]));
    argv[4] = registry;
    argv[5] = join(root, "run", "lock", "arp.lock");
    const result = run(argv);
    expect(result).toMatchObject({ status: 0, stdout: "[a b][$(id)][`x`]" });
    expect(existsSync(join(root, "run", "lock", "arp.lock"))).toBe(true);
  });
});
