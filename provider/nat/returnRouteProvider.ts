// lvs:index:RealServerReturnRoute: routes a NAT real server's replies back through the
// director (see model.ts for why it is source-based). State is the inputs plus what the
// host has; `read` reports the live rule and route, so a rule deleted by hand is drift.

import type * as pulumi from "@pulumi/pulumi";
import { describeConnection, run, type SshConnection } from "../ssh";
import { checkWithSchema } from "../resource/check";
import { observedHostKeyFingerprint, resolveConnection } from "../resource/connection";
import { AlreadyExistsError } from "../resource/errors";
import { directorId } from "../ipvs/ids";
import { formatCheckFailures } from "../resource/checkFailures";
import { applyArgv, installUnitArgv, probeArgv, removeArgv, removeUnitArgv, splitProbe } from "./hostScript";
import { parseRuleShow, parseTableRoutes, renderUnit, type LiveReturnRoute, type ReturnRoute } from "./model";
import { RealServerReturnRouteInputsSchema, type RealServerReturnRouteInputs } from "./schema";

const json = (v: unknown) => JSON.stringify(v ?? null);

function routeOf(v: Record<string, any>): ReturnRoute {
  return { sourceAddress: v["sourceAddress"], gateway: v["gateway"], table: v["table"], priority: v["priority"] };
}

export async function probeReturnRoute(connection: SshConnection, route: ReturnRoute): Promise<LiveReturnRoute> {
  const sections = splitProbe((await run(connection, probeArgv(route))).stdout);
  return { ruleInstalled: parseRuleShow(sections.rules, route), ...parseTableRoutes(sections.table), unitInstalled: sections.unit === "present" };
}

async function apply(connection: SshConnection, route: ReturnRoute): Promise<void> {
  await run(connection, applyArgv(route), { stdin: renderUnit(route) });
}

export const realServerReturnRouteProvider = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const clean = Object.fromEntries(Object.entries(news).filter(([k]) => !["ruleInstalled", "liveGateway", "kept", "hostKeyFingerprint"].includes(k)));
    return checkWithSchema(RealServerReturnRouteInputsSchema, clean, formatCheckFailures);
  },

  async diff(_id: string, olds: Record<string, any>, news: Record<string, any>): Promise<pulumi.dynamic.DiffResult> {
    const replaces = ["sourceAddress", "table", "priority"].filter((p) => json(olds[p]) !== json(news[p]));
    if (directorId(olds["connection"]) !== directorId(news["connection"])) replaces.push("connection");
    const drifted = olds["ruleInstalled"] === false || (olds["liveGateway"] !== undefined && olds["liveGateway"] !== news["gateway"]);
    const changes = replaces.length > 0 || json(olds["gateway"]) !== json(news["gateway"]) || drifted;
    return { changes, replaces, deleteBeforeReplace: true };
  },

  async create(inputs: RealServerReturnRouteInputs): Promise<pulumi.dynamic.CreateResult> {
    const connection = resolveConnection(inputs.connection);
    const route = routeOf(inputs);
    const live = await probeReturnRoute(connection, route);
    const id = `${directorId(inputs.connection)}/return-route:${route.sourceAddress}:t${route.table}`;
    if (live.otherRoutes.length > 0 || (live.gateway !== undefined && !live.ruleInstalled)) {
      throw new AlreadyExistsError({ resourceType: "RealServerReturnRoute", what: `routing table ${route.table} (it already has routes: ${[live.gateway ? `default via ${live.gateway}` : "", ...live.otherRoutes].filter(Boolean).join("; ")})`, host: describeConnection(connection), id });
    }
    // Adopt: the rule and route made by hand are left exactly as they are (apply would delete
    // and add the rule again, a moment with replies going the wrong way); only the unit is added.
    const kept = inputs.adopt === true && live.ruleInstalled && live.gateway === route.gateway;
    if (kept) await run(connection, installUnitArgv(route), { stdin: renderUnit(route) });
    else await apply(connection, route);
    return { id, outs: { ...inputs, ruleInstalled: true, liveGateway: route.gateway, ...(kept ? { kept: true } : {}), hostKeyFingerprint: await observedHostKeyFingerprint(connection) } };
  },

  async read(id: string, props: Record<string, any>): Promise<pulumi.dynamic.ReadResult> {
    const connection = resolveConnection(props["connection"], props["hostKeyFingerprint"]);
    const route = routeOf(props);
    const live = await probeReturnRoute(connection, route);
    if (!live.ruleInstalled && live.gateway === undefined && !live.unitInstalled) return {};
    const state = { ...props, ruleInstalled: live.ruleInstalled, ...(live.gateway !== undefined ? { liveGateway: live.gateway } : { liveGateway: "" }) };
    const inputs = { connection: props["connection"], sourceAddress: route.sourceAddress, gateway: live.gateway ?? "", table: route.table, priority: route.priority, ...(props["adopt"] !== undefined ? { adopt: props["adopt"] } : {}) };
    return { id, props: state, inputs };
  },

  async update(_id: string, olds: Record<string, any>, news: RealServerReturnRouteInputs): Promise<pulumi.dynamic.UpdateResult> {
    const connection = resolveConnection(news.connection, olds["hostKeyFingerprint"]);
    const previous = routeOf(olds);
    // The engine sends only gateway changes here (the rest replace), but whatever differs,
    // the old rule, route and unit must not stay behind.
    if (previous.gateway && JSON.stringify(previous) !== JSON.stringify(routeOf(news))) await run(connection, removeArgv(previous));
    await apply(connection, routeOf(news));
    return { outs: { ...news, ruleInstalled: true, liveGateway: news.gateway, ...(olds["kept"] === true ? { kept: true } : {}), hostKeyFingerprint: olds["hostKeyFingerprint"] } };
  },

  async delete(_id: string, props: Record<string, any>): Promise<void> {
    const connection = resolveConnection(props["connection"], props["hostKeyFingerprint"]);
    // An adopted rule and route were the host's before: they stay, only the unit goes.
    await run(connection, props["kept"] === true ? removeUnitArgv(routeOf(props)) : removeArgv(routeOf(props)));
  },
};
