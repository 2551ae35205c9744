// The lab is what every other integration test stands on, so its promises are tested
// too: a real IPVS kernel on the directors, hosts that are isolated from each other,
// web servers that name themselves. (Real reboots: reboot.test.ts reboots dir1, dir2 and rs3 and finds
// its rules, its disk and its host key again.)

import { randomBytes } from "crypto";
import { closeSshPool, exec, run } from "../../provider/ssh";
import { labConnection, labHost, loadLabInventory } from "../support/lab";

afterAll(closeSshPool);

describe("the lab", () => {
  it("gives the directors a real IPVS kernel: ipvsadm -A then -Ln shows the service", async () => {
    for (const name of ["dir1", "dir2"]) {
      const dir1 = labConnection(name);
      const release = (await run(dir1, ["uname", "-r"])).stdout.trim();
      expect(release).toMatch(/^6\.1\.0-.*-amd64$/);
      await run(dir1, ["sh", "-c", "ipvsadm -A -t 10.77.0.199:80 -s rr && ipvsadm -Ln"]);
      try {
        const table = (await run(dir1, ["ipvsadm", "-Ln"])).stdout;
        expect(table).toMatch(/^TCP {2}10\.77\.0\.199:80 rr\s*$/m);
        const modules = (await run(dir1, ["cat", "/proc/modules"])).stdout;
        expect(modules).toMatch(/^ip_vs /m);
        expect(modules).toMatch(/^ip_vs_rr /m);
      } finally {
        await run(dir1, ["ipvsadm", "-D", "-t", "10.77.0.199:80"]);
      }
    }
  });

  it("isolates hosts: a file written on one host is not visible on another", async () => {
    const marker = `/etc/lab-isolation-${randomBytes(4).toString("hex")}`;
    await run(labConnection("rs1"), ["touch", marker]);
    try {
      expect((await exec(labConnection("rs1"), ["test", "-e", marker])).exitCode).toBe(0);
      for (const other of ["rs2", "dir1", "client"]) {
        expect((await exec(labConnection(other), ["test", "-e", marker])).exitCode).toBe(1);
      }
    } finally {
      await run(labConnection("rs1"), ["rm", "-f", marker]);
    }
  });

  it("gives every host its own network stack with its inventory addresses", async () => {
    for (const host of loadLabInventory().hosts) {
      const addresses = (await run(labConnection(host.name), ["ip", "-o", "addr", "show", "dev", "eth1"])).stdout;
      expect(addresses).toContain(`inet ${host.interfaces.front.ipv4}/24`);
      expect(addresses).toContain(`inet6 ${host.interfaces.front.ipv6}/64`);
      const hostname = (await run(labConnection(host.name), ["hostname"])).stdout.trim();
      expect(hostname).toBe(host.name);
    }
  });

  it("runs a web server on every real server that answers with its own name, over IPv4 and IPv6", async () => {
    const client = labConnection("client");
    for (const name of ["rs1", "rs2", "rs3"]) {
      const front = labHost(name).interfaces.front;
      for (const url of [`http://${front.ipv4}/`, `http://[${front.ipv6}]/`]) {
        const body = (await run(client, ["curl", "-sS", "--max-time", "10", url])).stdout.trim();
        expect(body).toBe(name);
      }
    }
  });
});
