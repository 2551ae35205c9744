// The bench's picture: `pulumi up` of N RealServers (the "up" phase) against N, wall time
// and round trips (SSH handshakes + remote commands, counted on the director), ours vs the
// physical limit vs the per-resource baseline, one panel per measure and network distance.
// Also prints the table (markdown) with the ratios: ours ÷ limit, baseline ÷ ours.
// Usage: node bench/chart.js <director-scale.json> <chart.svg>
"use strict";
const fs = require("fs");

const [input, output] = process.argv.slice(2);
const rows = JSON.parse(fs.readFileSync(input, "utf8"));
const WAYS = [
  ["limit", "#2a9d8f", "limit (1 handshake, 1 ipvsadm -R)"],
  ["provider", "#e76f51", "ours, provider process"],
  ["engine", "#264653", "ours, pulumi up (real engine, default --parallel)"],
  ["engine-wide", "#8ab17d", "ours, pulumi up --parallel above N"],
  ["baseline", "#9b9b9b", "baseline (ssh per command)"],
];
const MEASURES = [
  ["wallMs", "wall time (s)", (v) => v / 1000],
  ["roundTrips", "round trips", (v) => v],
];
const roundTrips = (r) => r.handshakes + r.commands;
const value = (r, m) => (m === "roundTrips" ? roundTrips(r) : r[m]);
const up = rows.filter((r) => r.phase === "up");
const sizes = [...new Set(up.map((r) => r.n))].sort((a, b) => a - b);
const delays = [...new Set(up.map((r) => r.delayMs))].sort((a, b) => a - b);

const W = 360;
const H = 260;
const PAD = { l: 56, r: 12, t: 28, b: 40 };
const log = (v) => Math.log10(Math.max(v, 1e-3));
const panels = [];
let index = 0;
for (const delayMs of delays) {
  for (const [measure, label, scale] of MEASURES) {
    const x0 = (index % 2) * W;
    const y0 = Math.floor(index / 2) * H;
    index++;
    const points = up.filter((r) => r.delayMs === delayMs).map((r) => scale(value(r, measure)));
    const [lo, hi] = [Math.floor(log(Math.min(...points))), Math.ceil(log(Math.max(...points)))];
    const px = (n) => x0 + PAD.l + ((log(n) - log(sizes[0])) / Math.max(log(sizes[sizes.length - 1]) - log(sizes[0]), 1e-9)) * (W - PAD.l - PAD.r);
    const py = (v) => y0 + H - PAD.b - ((log(v) - lo) / Math.max(hi - lo, 1)) * (H - PAD.t - PAD.b);
    const parts = [`<text x="${x0 + W / 2}" y="${y0 + 16}" text-anchor="middle" font-weight="bold">${label}, ${delayMs ? `${delayMs} ms each way` : "the lab as it is"}</text>`];
    for (let e = lo; e <= hi; e++) parts.push(`<line x1="${x0 + PAD.l}" x2="${x0 + W - PAD.r}" y1="${py(10 ** e)}" y2="${py(10 ** e)}" stroke="#eee"/><text x="${x0 + PAD.l - 4}" y="${py(10 ** e) + 4}" text-anchor="end">${10 ** e}</text>`);
    for (const n of sizes) parts.push(`<text x="${px(n)}" y="${y0 + H - PAD.b + 16}" text-anchor="middle">${n}</text>`);
    parts.push(`<text x="${x0 + W / 2}" y="${y0 + H - 6}" text-anchor="middle">RealServers (N)</text>`);
    for (const [way, colour] of WAYS) {
      const series = up.filter((r) => r.delayMs === delayMs && r.way === way).sort((a, b) => a.n - b.n);
      if (series.length === 0) continue;
      parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${series.map((r) => `${px(r.n).toFixed(1)},${py(scale(value(r, measure))).toFixed(1)}`).join(" ")}"/>`);
      for (const r of series) parts.push(`<circle cx="${px(r.n).toFixed(1)}" cy="${py(scale(value(r, measure))).toFixed(1)}" r="3" fill="${colour}"/>`);
    }
    panels.push(parts.join(""));
  }
}
const legendY = Math.ceil(index / 2) * H + 8;
const legend = WAYS.map(([, colour, label], i) => `<rect x="${16 + (i % 2) * W}" y="${legendY + Math.floor(i / 2) * 18}" width="12" height="12" fill="${colour}"/><text x="${34 + (i % 2) * W}" y="${legendY + 10 + Math.floor(i / 2) * 18}">${label}</text>`).join("");
const height = legendY + 44;
fs.writeFileSync(output, `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${height}" font-family="sans-serif" font-size="11"><rect width="100%" height="100%" fill="white"/>${panels.join("")}${legend}</svg>\n`);

// The table: every phase, with the ratios the targets are stated in.
const find = (way, phase, n, delayMs) => rows.find((r) => r.way === way && r.phase === phase && r.n === n && r.delayMs === delayMs);
const lines = [
  "| phase | N | delay | limit s / trips | provider s / trips | engine s / trips | engine --parallel>N s / trips | baseline s / trips | ours ÷ limit, trips (provider / engine) | baseline ÷ ours, s (provider / engine) | KiB moved (engine / wide) | peak RSS MB (provider / engine / wide) | measured |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
];
for (const phase of ["up", "refresh", "change1", "destroy"]) {
  for (const delayMs of delays) {
    for (const n of sizes) {
      const cell = (way) => {
        const r = find(way, phase, n, delayMs);
        return r ? `${(r.wallMs / 1000).toFixed(1)} / ${roundTrips(r)}` : "–";
      };
      const [lim, eng, wide, base, prov] = ["limit", "engine", "engine-wide", "baseline", "provider"].map((w) => find(w, phase, n, delayMs));
      if (![lim, eng, wide, base, prov].some(Boolean)) continue;
      const ratio = (a, b) => (a && b && b > 0 ? (a / b).toFixed(1) : "–");
      const kib = (r) => (r ? Math.round(r.bytes / 1024) : "–");
      const rss = (r) => r?.maxRssMb ?? "–";
      const trips = (r) => r && roundTrips(r);
      // Runs of one row may come from different days (bench/results.js: BENCH_MERGE).
      const days = [...new Set([lim, prov, eng, wide, base].filter(Boolean).map((r) => r.date ?? "?"))].sort().join(", ");
      lines.push(
        `| ${phase} | ${n} | ${delayMs} ms | ${cell("limit")} | ${cell("provider")} | ${cell("engine")} | ${cell("engine-wide")} | ${cell("baseline")} | ${ratio(trips(prov), trips(lim))} / ${ratio(trips(eng), trips(lim))} | ${ratio(base?.wallMs, prov?.wallMs)} / ${ratio(base?.wallMs, eng?.wallMs)} | ${kib(eng)} / ${kib(wide)} | ${rss(prov)} / ${rss(eng)} / ${rss(wide)} | ${days} |`,
      );
    }
  }
}
console.log(lines.join("\n"));
console.log(`chart: ${output}`);
