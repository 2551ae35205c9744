// Parse + plan of a large IPVS table, on this machine's CPU alone (issue 13, item 5):
// `ipvsadm -S -n` and `ipvsadm -L -n --exact --thresholds` texts in the format captured
// from the real ipvsadm (test/fixtures/ipvsadm/build.save, build.list-thresholds), generated
// for N destinations, then what a read does (parseLiveTable) and what N RealServers' plans
// do against it (planDestination, one per resource), after one untimed warm-up round.
// Prints CPU time; asserts nothing.
// Run by `npm run bench` (bench/run.sh) after `npm run build`.
"use strict";
const path = require("path");

const DIST = path.resolve(__dirname, "..", "dist", "provider", "ipvs");
const { parseLiveTable, parseIpvsadmSave, parseIpvsadmList, mergeListings, planDestination } = require(path.join(DIST, "index"));

/** services × perService destinations, as the real ipvsadm prints them. */
function tableTexts(services, perService) {
  const save = [];
  const list = [
    "IP Virtual Server version 1.2.1 (size=4096)",
    "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ",
    "  -> RemoteAddress:Port",
  ];
  for (let s = 0; s < services; s++) {
    const vip = `10.${100 + Math.floor(s / 250)}.${s % 250}.1:80`;
    save.push(`-A -t ${vip} -s wrr`);
    list.push(`TCP  ${vip} wrr`);
    for (let d = 0; d < perService; d++) {
      const rs = `10.${200 + Math.floor(d / 62500)}.${Math.floor(d / 250) % 250}.${(d % 250) + 1}:8080`;
      save.push(`-a -t ${vip} -r ${rs} -m -w ${1 + (d % 7)}`);
      list.push(`  -> ${rs.padEnd(28)}${"0".padEnd(11)}${"0".padEnd(11)}${"0".padEnd(11)}0         `);
    }
  }
  return [`${save.join("\n")}\n`, `${list.join("\n")}\n`];
}

const cpuMs = (f) => {
  const start = process.cpuUsage();
  const result = f();
  const used = process.cpuUsage(start);
  return { ms: (used.user + used.system) / 1000, result };
};

/** One table's figures, in the provider's order: a read, then a plan per RealServer. */
function measure(outputs) {
  // Its parts first (the rules-file dump, the thresholds listing, their merge), then the
  // whole read as the provider runs it.
  const save = cpuMs(() => parseIpvsadmSave(outputs[0]));
  const list = cpuMs(() => parseIpvsadmList(outputs[1]));
  const merge = cpuMs(() => mergeListings(save.result, list.result));
  const parse = cpuMs(() => parseLiveTable(outputs));
  const table = parse.result;
  const plan = cpuMs(() => {
    let ops = 0;
    for (const d of table.destinations) ops += planDestination(table, { ...d, weight: d.weight + 1 }, d).length;
    return ops;
  });
  return { save, list, merge, parse, table, plan };
}

const shapes = (process.env.BENCH_SHAPES ?? "100x100,10x1000,1x10000").split(",");
const outputsOf = (shape) => tableTexts(...shape.split("x").map(Number));

// One untimed round of the first shape first, so that every shape is timed with the parsers
// and the planner already compiled. Otherwise the first shape alone also pays for V8's
// optimising compiles of them (about 250 ms of CPU, landing in whichever of its phases is
// running: `node --single-threaded --trace-opt` shows 70-100 ms of it in parse + plan), and
// the shapes are not measured alike.
// Its figures are printed too: a provider process's first read pays them.
{
  const cold = measure(outputsOf(shapes[0]));
  console.log(`parse+plan ${shapes[0]}, cold (the first in this process, compiles included): parse ${Math.round(cold.parse.ms)} ms CPU, plan of every destination ${Math.round(cold.plan.ms)} ms CPU`);
}

const results = [];
for (const shape of shapes) {
  const outputs = outputsOf(shape);
  const { save, list, merge, parse, table, plan } = measure(outputs);
  const row = { shape, destinations: table.destinations.length, bytes: outputs[0].length + outputs[1].length, parts: { saveMs: Math.round(save.ms), listMs: Math.round(list.ms), mergeMs: Math.round(merge.ms) }, parseCpuMs: Math.round(parse.ms), planAllCpuMs: Math.round(plan.ms), planEachCpuUs: Math.round((plan.ms * 1000) / table.destinations.length) };
  results.push(row);
  console.log(`parse+plan ${shape}: ${row.destinations} destinations, ${(row.bytes / 1024).toFixed(0)} KiB of ipvsadm output; parse ${row.parseCpuMs} ms CPU (parts: -S ${row.parts.saveMs}, -L ${row.parts.listMs}, merge ${row.parts.mergeMs}); plan of every destination ${row.planAllCpuMs} ms CPU (${row.planEachCpuUs} µs each)`);
}
if (process.env.BENCH_JSON) require("fs").writeFileSync(process.env.BENCH_JSON, `${JSON.stringify(results, null, 2)}\n`);
