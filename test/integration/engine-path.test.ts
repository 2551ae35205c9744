// The engine path: what `pulumi up` does with our resources, without the Pulumi CLI.
//
// Each resource's provider is serialised by the SDK's closure serializer, as
// pulumi.dynamic.Resource does, and run by a fresh process of the SDK's own dynamic
// provider host, started in a project directory that depends on pulumi-lvs by name.
// The test plays the engine: it greets the host as the engine does and drives it over
// gRPC with the engine's RPCs, order and property encoding (test/support/engine/), on
// the lab's real hosts: dir2 (IPVS with VIP 10.77.0.241 only; its Director sysctls and
// files, restored afterwards) and rs3 (VIP 10.77.0.249 on lo). Never ipvsadm -C, never
// keepalived, never dir1.

import { DIRECTOR_FILES } from "../../provider/director";
import { closeSshPool, run } from "../../provider/ssh";
import type { ResourceKind } from "../../provider/dynamic/thinProvider";
import { withSecretConnection } from "../../provider/resource/connectionArgs";
import { destroy, preview, refresh, replace, up, update, type EngineResource, type ResourceGoal } from "../support/engine/engineSteps";
import { ProviderHost } from "../support/engine/providerHost";
import { assertBuildIsFresh } from "../support/engine/programDir";
import { providerProperty, serialisedProvider, type SerialisedProvider } from "../support/engine/serialisedProvider";
import { checkpointView, containsSecrets, isSecret, removeSecrets, secret, type PropertyMap } from "../support/engine/wire";
import { labConnection, labHost, labPrivateKey } from "../support/lab";

const dir2 = labConnection("dir2");
const rs3 = labConnection("rs3");
type Conn = typeof dir2;
const VIP = "10.77.0.241";
const OUR_VIPS = /^10\.77\.0\.24[1-9]$/;
const RIP = "10.77.1.21"; // rs1 on the back segment: entries only, no traffic is sent

const ipvsadm = async (...args: string[]) => (await run(dir2, ["ipvsadm", ...args])).stdout;
const ourRules = async () => (await ipvsadm("-S", "-n")).split("\n").filter((l) => /10\.77\.0\.24[1-9]/.test(l));

/** Remove whatever an earlier, interrupted run of this file left on dir2 (our VIPs only). */
async function removeOurServices(): Promise<void> {
  for (const line of await ourRules()) {
    const m = /^-A (-[tus]) (\S+):(\d+)/.exec(line);
    if (m && OUR_VIPS.test(m[2]!)) await ipvsadm("-D", m[1]!, `${m[2]}:${m[3]}`);
  }
}

/** What the user's program holds: the lab connection with the key wrapped in pulumi.secret(). */
const userConnection = (conn: Conn = dir2): PropertyMap => ({ ...conn, privateKey: secret(conn.privateKey) });

async function sysctls(conn: Conn, keys: readonly string[]): Promise<Record<string, string>> {
  const out = (await run(conn, ["sysctl", ...keys])).stdout;
  return Object.fromEntries(out.trim().split("\n").map((l) => l.split(" = ") as [string, string]));
}

/** Text that must never be readable in state or in a serialised provider. */
const keyMaterial = (): string[] => {
  const lines = labPrivateKey().trim().split("\n");
  return ["PRIVATE KEY", ...lines.slice(1, -1).filter((l) => l.length >= 20)];
};
const plaintextSecretsIn = (text: string): string[] => keyMaterial().filter((m) => text.includes(m));

const serialised: Partial<Record<ResourceKind, SerialisedProvider>> = {};
/** What the SDK registers for a pulumi-lvs resource: its inputs, `__provider`, and its secret outputs. */
function goal(kind: ResourceKind, name: string, inputs: PropertyMap): ResourceGoal {
  return {
    type: `pulumi-nodejs:dynamic/lvs:${kind}`,
    name,
    inputs: { ...inputs, __provider: providerProperty(serialised[kind]!) },
    additionalSecretOutputs: withSecretConnection(undefined).additionalSecretOutputs ?? [],
  };
}

const serviceGoal = (port: number) => goal("VirtualService", "web", { connection: userConnection(), protocol: "tcp", address: VIP, port, scheduler: "rr" });

/**
 * A RealServer's registration, from its VirtualService's outputs as the program sees them:
 * `connection` is that secret output (one secret), `service` is protocol/address/port.
 */
function serverGoal(vs: EngineResource, weight: number): ResourceGoal {
  const { protocol, address, port } = removeSecrets(vs.outputs) as { protocol: string; address: string; port: number };
  return goal("RealServer", "web-rs1", {
    connection: secret(removeSecrets(vs.outputs["connection"])),
    service: { protocol, address, port },
    address: RIP,
    port,
    forwarding: "dr",
    weight,
  });
}

let host: ProviderHost;
/** Host-side resources that removeOurServices does not cover, destroyed in afterAll if a test stopped half-way. */
const notDestroyed = new Map<"director" | "arp", EngineResource>();

beforeAll(async () => {
  assertBuildIsFresh();
  await removeOurServices();
  for (const kind of ["VirtualService", "RealServer", "Director", "RealServerArpConfig"] as const) serialised[kind] = await serialisedProvider(kind);
  host = await ProviderHost.start();
});

afterAll(async () => {
  for (const [what, resource] of notDestroyed) {
    await destroy(host, resource).catch((err) => console.error(`cleanup: could not destroy the ${what}: ${err}`));
  }
  await host?.close();
  await removeOurServices();
  await closeSshPool();
});

describe("the serialised providers", () => {
  it.each(["VirtualService", "RealServer", "Director", "RealServerArpConfig"] as const)("%s: thin, loads pulumi-lvs by name, captured no secret", (kind) => {
    const { text, containsSecrets } = serialised[kind]!;
    expect(containsSecrets).toBe(false); // so the SDK stores __provider in the clear, and may
    expect(text).toContain('require("pulumi-lvs/provider/registry")');
    expect(text).not.toMatch(/ipvsadm|ssh2|zod/);
    expect(plaintextSecretsIn(text)).toEqual([]);
    expect(text).not.toMatch(/password|passphrase/i);
  });
});

describe("the provider host, started as the engine starts it", () => {
  it("answers the engine's greeting and says it cannot take secrets, so the engine sends them unwrapped", () => {
    expect(host.calls.slice(0, 4)).toEqual(["Handshake", "GetPluginInfo", "CheckConfig", "Configure"]);
    expect(host.protocol).toEqual({
      handshake: "unimplemented",
      acceptSecrets: false,
      acceptResources: false,
      acceptOutputs: false,
      supportsPreview: false,
      pluginVersion: "3.270.0",
    });
  });
});

describe("a VirtualService and a RealServer through the engine path on dir2", () => {
  let vs: EngineResource;
  let rs: EngineResource;

  it("up: Check, Create for each; both land in dir2's kernel table", async () => {
    const createdVs = await up(host, serviceGoal(80));
    expect(createdVs.rpcs).toEqual(["Check", "Create"]);
    vs = createdVs.resource;
    expect(vs.id).toBe(`${dir2.host}:${dir2.port}/tcp:${VIP}:80`);
    expect(removeSecrets(vs.outputs)).toMatchObject({ serviceKey: `tcp:${VIP}:80`, scheduler: "rr", hostKeyFingerprint: expect.stringMatching(/^SHA256:/) });

    const createdRs = await up(host, serverGoal(vs, 5));
    expect(createdRs.rpcs).toEqual(["Check", "Create"]);
    rs = createdRs.resource;
    expect(rs.id).toBe(`${dir2.host}:${dir2.port}/tcp:${VIP}:80->${RIP}:80`);

    expect(await ourRules()).toEqual([`-A -t ${VIP}:80 -s rr`, `-a -t ${VIP}:80 -r ${RIP}:80 -g -w 5`]);
  });

  it("state: the connection is a secret and no key material is readable, in inputs or outputs", () => {
    for (const resource of [vs, rs]) {
      expect(isSecret(resource.outputs["connection"])).toBe(true);
      expect(containsSecrets(resource.inputs["connection"])).toBe(true);
      const checkpoint = JSON.stringify({ inputs: checkpointView(resource.inputs), outputs: checkpointView(resource.outputs) });
      expect(plaintextSecretsIn(checkpoint)).toEqual([]);
    }
    // The host answers with what it was sent, and it was sent the key unwrapped (it cannot
    // take secrets): the secret marks in state are the engine's work, from the secret input
    // (annotateSecrets) and from additionalSecretOutputs.
    const onTheWire = [vs, rs].map((r) => plaintextSecretsIn(JSON.stringify(r.rawOutputs)).length);
    console.log(`key fragments readable in the host's raw Create answers (VirtualService, RealServer): ${onTheWire.join(", ")}`);
  });

  it("preview with nothing changed: Check, Diff says no changes, no replacement", async () => {
    for (const [resource, g] of [[vs, serviceGoal(80)], [rs, serverGoal(vs, 5)]] as const) {
      const { rpcs, diff } = await preview(host, resource, g);
      expect(rpcs).toEqual(["Check", "Diff"]);
      expect(diff).toMatchObject({ changes: "none", replaces: [], changedInputs: [] });
    }
    expect(await ourRules()).toEqual([`-A -t ${VIP}:80 -s rr`, `-a -t ${VIP}:80 -r ${RIP}:80 -g -w 5`]);
  });

  it("update of the weight: Check, Diff (only weight, in place), Update; ipvsadm -Ln shows it", async () => {
    const updated = await update(host, rs, serverGoal(vs, 7));
    expect(updated.rpcs).toEqual(["Check", "Diff", "Update"]);
    expect(updated.diff).toMatchObject({ changes: "some", replaces: [], deleteBeforeReplace: false, changedInputs: ["weight"] });
    rs = updated.resource;
    expect(removeSecrets(rs.outputs)).toMatchObject({ weight: 7 });
    expect(isSecret(rs.outputs["connection"])).toBe(true);
    const listing = await ipvsadm("-Ln", "-t", `${VIP}:80`);
    expect(listing).toMatch(new RegExp(`-> ${RIP.replace(/\./g, "\\.")}:80\\s+Route\\s+7\\s`));
  });

  it("refresh after `ipvsadm -e … -w 0` by hand: Read shows weight 0, then up puts 7 back", async () => {
    await ipvsadm("-e", "-t", `${VIP}:80`, "-r", `${RIP}:80`, "-g", "-w", "0");
    const refreshed = await refresh(host, rs);
    expect(refreshed.rpcs).toEqual(["Read"]);
    const drifted = refreshed.resource!;
    expect(removeSecrets(drifted.outputs)).toMatchObject({ weight: 0 });
    expect(removeSecrets(drifted.inputs)).toMatchObject({ weight: 0 });
    expect(isSecret(drifted.outputs["connection"])).toBe(true);
    expect(plaintextSecretsIn(JSON.stringify(checkpointView(drifted.outputs)))).toEqual([]);

    const again = await refresh(host, drifted);
    expect(again.resource).toEqual(drifted); // a read is stable

    const { diff } = await preview(host, drifted, serverGoal(vs, 7));
    expect(diff).toMatchObject({ changes: "some", replaces: [], changedInputs: ["weight"] });
    const restored = await update(host, drifted, serverGoal(vs, 7));
    expect(restored.rpcs).toEqual(["Check", "Diff", "Update"]);
    rs = restored.resource;
    expect(await ourRules()).toContain(`-a -t ${VIP}:80 -r ${RIP}:80 -g -w 7`);
  });

  it("replace (port 80 → 8080): the new service and server are created before the old ones are deleted, dependents first", async () => {
    const newVs = await replace(host, vs, serviceGoal(8080), { deferDelete: true });
    expect(newVs.rpcs).toEqual(["Check", "Diff", "Create"]);
    expect(newVs.diff).toMatchObject({ changes: "some", replaces: ["port"], deleteBeforeReplace: false });
    const newRs = await replace(host, rs, serverGoal(newVs.resource, 7), { deferDelete: true });
    expect(newRs.rpcs).toEqual(["Check", "Diff", "Create"]);
    expect([...newRs.diff.replaces].sort()).toEqual(["port", "service"]);
    expect((await ourRules()).sort()).toEqual(
      [`-A -t ${VIP}:80 -s rr`, `-a -t ${VIP}:80 -r ${RIP}:80 -g -w 7`, `-A -t ${VIP}:8080 -s rr`, `-a -t ${VIP}:8080 -r ${RIP}:8080 -g -w 7`].sort(),
    );

    expect((await destroy(host, newRs.replaced!)).rpcs).toEqual(["Delete"]);
    expect((await destroy(host, newVs.replaced!)).rpcs).toEqual(["Delete"]);
    vs = newVs.resource;
    rs = newRs.resource;
    expect(rs.id).toBe(`${dir2.host}:${dir2.port}/tcp:${VIP}:8080->${RIP}:8080`);
    expect(await ourRules()).toEqual([`-A -t ${VIP}:8080 -s rr`, `-a -t ${VIP}:8080 -r ${RIP}:8080 -g -w 7`]);
  });

  it("destroy: Delete each, dependents first; the table is clean and a refresh reads them as gone", async () => {
    expect((await destroy(host, rs)).rpcs).toEqual(["Delete"]);
    expect((await destroy(host, vs)).rpcs).toEqual(["Delete"]);
    expect(await ourRules()).toEqual([]);
    const gone = await refresh(host, vs);
    expect(gone.rpcs).toEqual(["Read"]);
    expect(gone.resource).toBeUndefined();
  });

});

describe("a Director through the engine path on dir2", () => {
  const WATCHED = [
    "net.ipv4.conf.all.send_redirects",
    "net.ipv4.conf.default.send_redirects",
    "net.ipv4.conf.eth1.send_redirects",
    "net.ipv4.ip_forward",
    "net.ipv4.vs.expire_nodest_conn",
    "net.ipv4.vs.expire_quiescent_template",
  ];
  const directorGoal = (mode: "dr" | "nat") => goal("Director", "dir2", { connection: userConnection(), mode, ...(mode === "dr" ? { interfaces: ["eth1"] } : {}) });
  const directorFiles = async () =>
    (await run(dir2, ["sh", "-c", 'for f do if [ -e "$f" ]; then echo "$f"; fi; done', "ls-ours", ...Object.values(DIRECTOR_FILES)])).stdout.split("\n").filter((l) => l);
  let before: Record<string, string>;
  let director: EngineResource;

  it("up: Check, Create; dr's sysctls are set", async () => {
    await run(dir2, ["modprobe", "ip_vs"]); // the vs.* sysctls exist only with it loaded
    before = await sysctls(dir2, WATCHED);
    expect(await directorFiles()).toEqual([]); // a Director left by another run would make create refuse
    const created = await up(host, directorGoal("dr"));
    expect(created.rpcs).toEqual(["Check", "Create"]);
    director = created.resource;
    notDestroyed.set("director", director);
    expect(isSecret(director.outputs["connection"])).toBe(true);
    expect(plaintextSecretsIn(JSON.stringify(checkpointView({ ...director.inputs, ...director.outputs })))).toEqual([]);
    expect(await sysctls(dir2, WATCHED)).toMatchObject({
      "net.ipv4.conf.all.send_redirects": "0",
      "net.ipv4.conf.default.send_redirects": "0",
      "net.ipv4.conf.eth1.send_redirects": "0",
      "net.ipv4.vs.expire_nodest_conn": "1",
      "net.ipv4.vs.expire_quiescent_template": "1",
    });
    expect((await preview(host, director, directorGoal("dr"))).diff).toMatchObject({ changes: "none", replaces: [] });
  });

  it("refresh after `sysctl -w …send_redirects=1` by hand shows the drift; up sets it back", async () => {
    await run(dir2, ["sysctl", "-w", "net.ipv4.conf.all.send_redirects=1"]);
    const refreshed = await refresh(host, director);
    expect(refreshed.rpcs).toEqual(["Read"]);
    expect(removeSecrets(refreshed.resource!.outputs)).toMatchObject({ appliedSysctls: { "net.ipv4.conf.all.send_redirects": "1" } });
    const { diff } = await preview(host, refreshed.resource!, directorGoal("dr"));
    // The drift is in an output, so the inputs the CLI would compare show nothing changed.
    expect(diff).toMatchObject({ changes: "some", replaces: [], changedInputs: [] });
    const fixed = await update(host, refreshed.resource!, directorGoal("dr"));
    expect(fixed.rpcs).toEqual(["Check", "Diff", "Update"]);
    director = fixed.resource;
    notDestroyed.set("director", director);
    expect((await sysctls(dir2, WATCHED))["net.ipv4.conf.all.send_redirects"]).toBe("0");
  });

  it("replace (mode dr → nat) deletes the old Director before creating the new one, as it asks", async () => {
    const replaced = await replace(host, director, directorGoal("nat"));
    expect(replaced.diff).toMatchObject({ changes: "some", replaces: ["mode"], deleteBeforeReplace: true });
    expect(replaced.rpcs).toEqual(["Check", "Diff", "Delete", "Create"]);
    director = replaced.resource;
    notDestroyed.set("director", director);
    expect((await sysctls(dir2, WATCHED))["net.ipv4.ip_forward"]).toBe("1");
  });

  it("destroy: Delete puts back every sysctl it found and leaves no file", async () => {
    expect((await destroy(host, director)).rpcs).toEqual(["Delete"]);
    notDestroyed.delete("director");
    expect(await sysctls(dir2, WATCHED)).toEqual(before);
    expect(await directorFiles()).toEqual([]);
  });
});

describe("a RealServerArpConfig through the engine path on rs3", () => {
  const ARP_VIP = "10.77.0.249";
  const iface = labHost("rs3").interfaces.front.name;
  const WATCHED = ["all", "lo", iface].flatMap((i) => [`net.ipv4.conf.${i}.arp_ignore`, `net.ipv4.conf.${i}.arp_announce`]);
  const arpGoal = () => goal("RealServerArpConfig", "rs3-arp", { connection: userConnection(rs3), vips: [ARP_VIP], mode: "dr", interfaces: [iface] });
  const onLo = async () => (await run(rs3, ["ip", "-o", "addr", "show", "dev", "lo"])).stdout.includes(`inet ${ARP_VIP}/32`);
  let before: Record<string, string>;
  let arp: EngineResource;

  it("up: Check, Create; the VIP is on lo and ARP is quiet", async () => {
    before = await sysctls(rs3, WATCHED);
    expect(await onLo()).toBe(false);
    const created = await up(host, arpGoal());
    expect(created.rpcs).toEqual(["Check", "Create"]);
    arp = created.resource;
    notDestroyed.set("arp", arp);
    expect(isSecret(arp.outputs["connection"])).toBe(true);
    expect(plaintextSecretsIn(JSON.stringify(checkpointView({ ...arp.inputs, ...arp.outputs })))).toEqual([]);
    expect(await onLo()).toBe(true);
    expect(await sysctls(rs3, WATCHED)).toMatchObject({ "net.ipv4.conf.all.arp_ignore": "1", "net.ipv4.conf.all.arp_announce": "2" });
    expect((await preview(host, arp, arpGoal())).diff).toMatchObject({ changes: "none", replaces: [] });
  });

  it("refresh after the VIP is removed from lo by hand shows it unbound; up binds it again", async () => {
    await run(rs3, ["ip", "addr", "del", `${ARP_VIP}/32`, "dev", "lo"]);
    const refreshed = await refresh(host, arp);
    expect(refreshed.rpcs).toEqual(["Read"]);
    expect(removeSecrets(refreshed.resource!.outputs)).toMatchObject({ boundVips: [] });
    expect((await preview(host, refreshed.resource!, arpGoal())).diff).toMatchObject({ changes: "some", replaces: [] });
    const fixed = await update(host, refreshed.resource!, arpGoal());
    expect(fixed.rpcs).toEqual(["Check", "Diff", "Update"]);
    arp = fixed.resource;
    notDestroyed.set("arp", arp);
    expect(await onLo()).toBe(true);
  });

  it("destroy: Delete removes the VIP and restores the ARP sysctls", async () => {
    expect((await destroy(host, arp)).rpcs).toEqual(["Delete"]);
    notDestroyed.delete("arp");
    expect(await onLo()).toBe(false);
    expect(await sysctls(rs3, WATCHED)).toEqual(before);
  });
});

describe("the provider host after all of it", () => {
  it("never called back to the engine and reported no uncaught error", () => {
    expect(host.engine.calls).toEqual([]);
    expect(host.output().stderr).toBe("");
  });
});
