// What the providers would send and write for checked inputs, without SSH: the argv of
// every command a create runs (through each folder's pure plan and render functions) and
// the text of every file it writes, with the model each file reads back as. The hostile-
// input test compares a rendering with the baseline's to show that a value stays data.

import { planArp, renderArpOp, type ArpInputs } from "../../../provider/arp";
import { desiredArp, parseRecord, renderRecord, type LiveArp } from "../../../provider/arp/model";
import { planDirector, renderOp as renderDirectorOp, parseVipUnit, type DirectorInputs } from "../../../provider/director";
import { DIRECTOR_FILES, desiredDirector, type LiveDirector } from "../../../provider/director/model";
import { renderOp as renderIpvsOp } from "../../../provider/ipvs/render";
import { renderRulesFile } from "../../../provider/ipvs/rulesFile";
import { toIpvsDestination, toIpvsService, type RealServerInputs, type VirtualServiceInputs } from "../../../provider/ipvs/schema";
import { realServerFile, serviceFile } from "../../../provider/keepalived/layout";
import { nodeView } from "../../../provider/keepalived/model";
import { parseNodeConfig, parseRealServerFile, parseVirtualServerFile } from "../../../provider/keepalived/parse";
import { renderNodeConfig, renderRealServerBlock, renderVirtualServerBlock } from "../../../provider/keepalived/render";
import { pairConfigOf, type KeepalivedPairInputs } from "../../../provider/keepalived/schema";
import { KEEPALIVED_REAL_SERVER_ONLY, KEEPALIVED_SERVICE_ONLY } from "../../../provider/keepalived/serviceSchema";
import { applyArgv, probeArgv, removeArgv } from "../../../provider/nat/hostScript";
import { renderUnit, type ReturnRoute } from "../../../provider/nat/model";
import { parseSysctlOutput } from "../../../provider/resource/sysctl";
import type { StringInputCase } from "../../support/stringInputs";

/** How a file is read on the host: keepalived's parser, systemd's unit parser, systemd-sysctl, or as plain lines. */
export type FileFormat = "keepalived" | "unit" | "sysctl" | "rules" | "plain";

export interface RenderedFile {
  name: string;
  format: FileFormat;
  text: string;
}

export interface Rendering {
  argv: string[][];
  files: RenderedFile[];
  /** [what, read back from the rendered text, what it was rendered from]: each pair must be equal. */
  readBack: Array<[string, unknown, unknown]>;
}

type Raw = Record<string, any>;
const pick = (v: Raw, keys: readonly string[]) => Object.fromEntries(Object.entries(v).filter(([k, x]) => keys.includes(k) && x !== undefined));

function director(inputs: DirectorInputs): Rendering {
  const desired = desiredDirector(inputs);
  const live: LiveDirector = {
    ipvsadmPresent: true, packageManager: "apt", moduleLoaded: true,
    sysctls: Object.fromEntries(Object.keys(desired.sysctls).map((k) => [k, "9"])),
    interfaces: [...inputs.interfaces, ...desired.vips.map((v) => v.interface)],
    addresses: [], files: {}, vipUnitEnabled: false, vipUnitActive: false,
  };
  const ops = planDirector(live, desired);
  const files: RenderedFile[] = ops.flatMap((op) =>
    op.kind === "writeFile" ? [{ name: DIRECTOR_FILES[op.file], format: op.file === "sysctl" ? "sysctl" : op.file === "vipUnit" ? "unit" : "plain", text: op.content } as RenderedFile] : [],
  );
  const text = (name: string) => files.find((f) => f.name === name)?.text;
  return {
    argv: ops.map(renderDirectorOp),
    files,
    readBack: [
      ["sysctl file", parseSysctlOutput(text(DIRECTOR_FILES.sysctl) ?? ""), desired.sysctls],
      ["VIP unit", parseVipUnit(text(DIRECTOR_FILES.vipUnit)), desired.vips],
    ],
  };
}

function arp(inputs: ArpInputs): Rendering {
  const desired = desiredArp(inputs, "0123456789ab", inputs.interfaces ?? ["eth1"]);
  const live: LiveArp = {
    ipipLoaded: false, ipv6Disabled: false, defaultRouteInterfaces: ["eth1"], sysctls: {}, interfaces: desired.interfaces, upInterfaces: [],
    addresses: [], files: {}, unitEnabled: false, records: {}, originals: {},
  };
  const ops = planArp(live, desired);
  const files: RenderedFile[] = ops.flatMap((op) => (op.kind === "writeFile" ? [{ name: op.file, format: op.file === "sysctl" ? "sysctl" : op.file === "unit" ? "unit" : "plain", text: op.content } as RenderedFile] : []));
  const record = renderRecord(desired);
  files.push({ name: "record", format: "plain", text: record });
  return {
    argv: ops.map(renderArpOp),
    files,
    readBack: [
      ["sysctl file", parseSysctlOutput(files.find((f) => f.name === "sysctl")?.text ?? ""), desired.sysctls],
      ["record", parseRecord(record), { sysctls: Object.keys(desired.sysctls), vips: desired.vips, kept: desired.kept ?? [] }],
    ],
  };
}

function returnRoute(inputs: Raw): Rendering {
  const route: ReturnRoute = { sourceAddress: inputs["sourceAddress"], gateway: inputs["gateway"], table: inputs["table"], priority: inputs["priority"] };
  const unit = renderUnit(route);
  const from = [...unit.matchAll(/^ExecStart=-?\/sbin\/ip -4 rule (?:del|add) from (\S+) lookup (\d+) pref (\d+)$/gm)].map((m) => m.slice(1));
  const via = [...unit.matchAll(/^ExecStart=\/sbin\/ip -4 route replace default via (\S+) table (\d+)$/gm)].map((m) => m.slice(1));
  const rule = [`${route.sourceAddress}/32`, String(route.table), String(route.priority)];
  return {
    argv: [applyArgv(route), removeArgv(route), probeArgv(route)],
    files: [{ name: "unit", format: "unit", text: unit }],
    readBack: [["unit ExecStart lines", { from, via }, { from: [rule, rule], via: [[route.gateway, String(route.table)]] }]],
  };
}

function plainService(inputs: VirtualServiceInputs): Rendering {
  const service = toIpvsService(inputs);
  return {
    argv: (["add-service", "edit-service", "delete-service"] as const).map((kind) => renderIpvsOp({ kind, service })),
    files: [{ name: "rules", format: "rules", text: renderRulesFile({ services: [service], destinations: [] }) }],
    readBack: [],
  };
}

function plainRealServer(inputs: RealServerInputs): Rendering {
  const destination = toIpvsDestination(inputs);
  return {
    argv: (["add-destination", "edit-destination", "delete-destination"] as const).map((kind) => renderIpvsOp({ kind, destination })),
    files: [],
    readBack: [],
  };
}

function pairService(inputs: Raw): Rendering {
  const service = toIpvsService(inputs as VirtualServiceInputs);
  const options = pick(inputs, KEEPALIVED_SERVICE_ONLY);
  const text = renderVirtualServerBlock(service, options);
  return { argv: [], files: [{ name: serviceFile(service.key), format: "keepalived", text }], readBack: [["virtual_server block", parseVirtualServerFile(text, "f"), { service, options }]] };
}

function pairRealServer(inputs: Raw): Rendering {
  const destination = toIpvsDestination(inputs as RealServerInputs);
  const options = pick(inputs, KEEPALIVED_REAL_SERVER_ONLY);
  const text = renderRealServerBlock(destination, options);
  const name = realServerFile(destination.service, destination.address, destination.port);
  return { argv: [], files: [{ name, format: "keepalived", text }], readBack: [["real_server block", parseRealServerFile(text, name, destination.service), { destination, options }]] };
}

function pair(inputs: KeepalivedPairInputs): Rendering {
  const config = pairConfigOf(inputs);
  const texts = ([0, 1] as const).map((i) => renderNodeConfig(config, i));
  return {
    argv: [],
    files: texts.map((text, i) => ({ name: `node${i + 1}/keepalived.conf`, format: "keepalived" as const, text })),
    readBack: texts.map((text, i): [string, unknown, unknown] => [`node ${i + 1} keepalived.conf`, parseNodeConfig(text), nodeView(config, i as 0 | 1)]),
  };
}

/** What a create of this case's resource sends and writes, for inputs `check` returned. */
export function renderingOf(c: StringInputCase, inputs: Raw): Rendering {
  switch (c.kind) {
    case "Director":
      return director(inputs as DirectorInputs);
    case "RealServerArpConfig":
      return arp(inputs as ArpInputs);
    case "RealServerReturnRoute":
      return returnRoute(inputs);
    case "KeepalivedPair":
      return pair(inputs as KeepalivedPairInputs);
    case "VirtualService":
      return c.director === "pair" ? pairService(inputs) : plainService(inputs as VirtualServiceInputs);
    case "RealServer":
      return c.director === "pair" ? pairRealServer(inputs) : plainRealServer(inputs as RealServerInputs);
    default:
      throw new Error(`no rendering for ${c.kind}`);
  }
}
