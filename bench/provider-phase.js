// One phase of the provider-level bench in a process of its own, as the engine's provider
// process runs it: `up` creates a VirtualService and N RealServers on dir1 (the RealServers
// all at once, as the engine creates independent resources), `refresh` reads them all at
// once, `change1` changes one RealServer's weight (a single change in an N-destination
// table), `destroy` deletes them. The resources' state goes through a file between phases.
// Prints one JSON line: { phase, n, ms, maxRssMb, batches, tableReads }.
"use strict";
const fs = require("fs");
const path = require("path");
const { DIST, connectionTo, closeSshPool } = require("./lab");

const { implementationOf } = require(path.join(DIST, "registry"));
const executor = require(path.join(DIST, "ipvs", "executor"));

const [phase, nText, stateFile, vip] = process.argv.slice(2);
const n = Number(nText);
const connection = connectionTo("dir1");
const vs = implementationOf("VirtualService");
const rs = implementationOf("RealServer");
/** Destinations need not exist: IPVS takes any address. 10.78.x.y is not the lab's. */
const address = (i) => `10.78.${Math.floor(i / 250)}.${(i % 250) + 1}`;

async function checked(provider, raw) {
  const r = await provider.check({}, raw);
  if (r.failures?.length) throw new Error(`check failed: ${JSON.stringify(r.failures)}`);
  return r.inputs;
}

async function main() {
  const started = Date.now();
  if (phase === "up") {
    const service = await vs.create(await checked(vs, { connection, protocol: "tcp", address: vip, port: 80, scheduler: "wrr" }));
    const reference = { protocol: "tcp", address: vip, port: 80 };
    const servers = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const inputs = await checked(rs, { connection, service: reference, address: address(i), port: 8080, forwarding: "nat", weight: 1 + (i % 5) });
        return { ...(await rs.create(inputs)), inputs };
      }),
    );
    fs.writeFileSync(stateFile, JSON.stringify({ service, servers }));
  } else {
    const { service, servers } = JSON.parse(fs.readFileSync(stateFile, "utf8"));
    if (phase === "refresh") {
      const reads = await Promise.all([vs.read(service.id, service.outs), ...servers.map((s) => rs.read(s.id, s.outs))]);
      const missing = reads.filter((r) => !r || !r.id).length;
      if (missing > 0) throw new Error(`${missing} resources read as gone`);
    } else if (phase === "change1") {
      const [first] = servers;
      const news = await checked(rs, { ...first.inputs, weight: first.inputs.weight + 10 });
      await rs.update(first.id, first.outs, news);
    } else if (phase === "destroy") {
      await Promise.all(servers.map((s) => rs.delete(s.id, s.outs)));
      await vs.delete(service.id, service.outs);
    } else throw new Error(`unknown phase ${phase}`);
  }
  const ms = Date.now() - started;
  await closeSshPool();
  const batches = typeof executor.ipvsChangeBatchCount === "function" ? executor.ipvsChangeBatchCount() : undefined;
  process.stdout.write(`${JSON.stringify({ phase, n, ms, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), batches, tableReads: executor.ipvsTableReadCount() })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack}\n`);
  process.exitCode = 1;
});
