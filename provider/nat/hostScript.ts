// The shell run on the real server. Constant scripts; the route's values arrive as
// positional parameters ("$@"), already validated as addresses and integers.

import { unitName } from "./model";
import type { ReturnRoute } from "./model";

const PROBE = `src=$1 table=$2 unit=$3
echo "== rules"; ip -4 rule show
echo "== table"; ip -4 route show table "$table" 2>/dev/null || true
echo "== unit"; if [ -f "/etc/systemd/system/$unit" ]; then echo present; else echo absent; fi`;

export function probeArgv(route: Pick<ReturnRoute, "sourceAddress" | "table">): string[] {
  return ["sh", "-c", PROBE, "pulumi-lvs-return-route-probe", route.sourceAddress, String(route.table), unitName(route)];
}

/** Sections of the probe output. */
export function splitProbe(stdout: string): { rules: string; table: string; unit: string } {
  const parts: Record<string, string[]> = {};
  let current = "";
  for (const line of stdout.split("\n")) {
    const m = line.match(/^== (\w+)$/);
    if (m) current = m[1]!;
    else (parts[current] ??= []).push(line);
  }
  const join = (k: string) => (parts[k] ?? []).join("\n");
  return { rules: join("rules"), table: join("table"), unit: join("unit").trim() };
}

/** The live rule and route, and the unit (its content arrives on stdin) enabled for boot. */
const APPLY = `set -eu
src=$1 gw=$2 table=$3 pref=$4 unit=$5
ip -4 rule del from "$src/32" lookup "$table" pref "$pref" 2>/dev/null || true
ip -4 rule add from "$src/32" lookup "$table" pref "$pref"
ip -4 route replace default via "$gw" table "$table"
tmp=$(mktemp "/etc/systemd/system/.$unit.XXXXXX")
cat >"$tmp"; chmod 0644 "$tmp"; mv -f "$tmp" "/etc/systemd/system/$unit"
systemctl daemon-reload
systemctl enable --quiet "$unit"`;

export function applyArgv(route: ReturnRoute): string[] {
  return ["sh", "-c", APPLY, "pulumi-lvs-return-route-apply", route.sourceAddress, route.gateway, String(route.table), String(route.priority), unitName(route)];
}

/** Adopting a rule and route made by hand: only the boot unit (on stdin) is added. */
const INSTALL_UNIT = `set -eu
unit=$1
tmp=$(mktemp "/etc/systemd/system/.$unit.XXXXXX")
cat >"$tmp"; chmod 0644 "$tmp"; mv -f "$tmp" "/etc/systemd/system/$unit"
systemctl daemon-reload
systemctl enable --quiet "$unit"`;

export function installUnitArgv(route: Pick<ReturnRoute, "sourceAddress" | "table">): string[] {
  return ["sh", "-c", INSTALL_UNIT, "pulumi-lvs-return-route-unit", unitName(route)];
}

/** Delete of an adopted route: only the unit goes; the rule and route made by hand stay. */
const REMOVE_UNIT = `set -u
unit=$1
if [ -f "/etc/systemd/system/$unit" ]; then
  systemctl disable --quiet "$unit" 2>/dev/null || true
  rm -f "/etc/systemd/system/$unit"
  systemctl daemon-reload
fi
exit 0`;

export function removeUnitArgv(route: Pick<ReturnRoute, "sourceAddress" | "table">): string[] {
  return ["sh", "-c", REMOVE_UNIT, "pulumi-lvs-return-route-unit-remove", unitName(route)];
}

/** Removes exactly what apply added: the rule, the table's default route, the unit. */
const REMOVE = `set -u
src=$1 gw=$2 table=$3 pref=$4 unit=$5
ip -4 rule del from "$src/32" lookup "$table" pref "$pref" 2>/dev/null || true
ip -4 route del default via "$gw" table "$table" 2>/dev/null || true
if [ -f "/etc/systemd/system/$unit" ]; then
  systemctl disable --quiet "$unit" 2>/dev/null || true
  rm -f "/etc/systemd/system/$unit"
  systemctl daemon-reload
fi
exit 0`;

export function removeArgv(route: ReturnRoute): string[] {
  return ["sh", "-c", REMOVE, "pulumi-lvs-return-route-remove", route.sourceAddress, route.gateway, String(route.table), String(route.priority), unitName(route)];
}
