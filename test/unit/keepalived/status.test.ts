// getVrrpStatus reads keepalived's own JSON dump and the host's addresses. Fixtures were
// captured on the lab's directors while a pair ran (test/fixtures/keepalived/README.md).

import { readFileSync } from "fs";
import { resolve } from "path";
import { describeDumpState, parseIpAddrLines, parseKeepalivedJson, parseNodeStatus } from "../../../provider/keepalived/status";

const fixture = (name: string) => readFileSync(resolve(__dirname, "../../fixtures/keepalived", name), "utf8");
const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("keepalived's JSON dump", () => {
  it.each([
    ["dir1-master.json", "MASTER", 150],
    ["dir2-backup.json", "BACKUP", 100],
  ])("%s reads as %s with its base priority", (file, state, priority) => {
    const [instance] = parseKeepalivedJson(fixture(file));
    expect(instance).toEqual({
      name: "VI_51",
      state,
      virtualRouterId: 51,
      basePriority: priority,
      effectivePriority: priority,
      advertInt: 1,
      vrrpVersion: 2,
      vips: ["10.77.0.100"],
    });
  });

  it("reads VRRPv3 and a sub-second interval as keepalived reports them", () => {
    const [instance] = parseKeepalivedJson(fixture("vrrp3-subsecond.json"));
    expect(instance).toMatchObject({ name: "VI_51", virtualRouterId: 51, basePriority: 150, vrrpVersion: 3, advertInt: 0.3, vips: ["10.77.0.100"] });
  });

  it("an empty dump is no instance, not an error", () => {
    expect(parseKeepalivedJson("")).toEqual([]);
  });
});

describe("the status script's output", () => {
  it("finds the VIP among the MASTER's addresses", () => {
    const addresses = parseIpAddrLines(fixture("dir1-ip-addr.txt"));
    expect(addresses).toContain("10.77.0.100");
    expect(addresses).toContain("10.77.0.11");
    expect(addresses).toContain("fd77::11");
  });

  it("puts the pieces together, and a stopped keepalived has no instances", () => {
    const running = parseNodeStatus(`pid 612\nactive active\njson ${b64(fixture("dir1-master.json"))}\ndump fresh\naddrs ${b64(fixture("dir1-ip-addr.txt"))}\nipvs ${b64("-A -t 10.77.0.100:80 -s rr\n")}\n`);
    expect(running.running).toBe(true);
    expect(running.instances.map((i) => i.state)).toEqual(["MASTER"]);
    expect(running.ipvsSave).toContain("10.77.0.100:80");
    const stopped = parseNodeStatus(`pid 0\nactive inactive\naddrs ${b64("")}\nipvs ${b64("")}\n`);
    expect(stopped).toEqual({ running: false, instances: [], dump: "none", addresses: [], ipvsSave: "" });
  });
});

describe("only a complete dump keepalived wrote after our signal counts", () => {
  const head = "pid 612\nactive active\n";
  const tail = `addrs ${b64("")}\nipvs ${b64("")}\n`;

  it("a dump caught half-written is partial, never an empty instance list taken as fact", () => {
    const status = parseNodeStatus(`${head}json ${b64(fixture("dir1-master.json").slice(0, 60))}\ndump fresh\n${tail}`);
    expect(status).toMatchObject({ running: true, dump: "partial", instances: [] });
  });

  it.each(["missing", "untrusted", "partial"] as const)("`dump %s` from the host: no instances, and a reason", (state) => {
    const status = parseNodeStatus(`${head}dump ${state}\n${tail}`);
    expect(status).toMatchObject({ dump: state, instances: [] });
    expect(describeDumpState(status.dump)).toContain("/tmp/keepalived.json");
  });

  it("json without a fresh-dump line (an older script, or a cut output) is not trusted", () => {
    expect(parseNodeStatus(`${head}json ${b64(fixture("dir1-master.json"))}\n${tail}`)).toMatchObject({ dump: "missing", instances: [] });
  });
});
