// The text of the files the Director owns (and how to read back the VIP a unit of ours
// binds). Pure: plan.ts compares these with what the probe found; render.ts turns the
// plan's operations into argv.

import { renderSysctlDropIn, type SysctlMap } from "../resource/sysctl";
import type { DesiredVip, DirectorVip } from "./model";

const HEADER = "# Written by pulumi-lvs (lvs:index:Director). Edits show up as drift and are overwritten;\n# the file is removed when the Director is deleted.\n";

export function renderModulesLoadFile(): string {
  return `${HEADER}ip_vs\n`;
}

/** The sysctl.d file: applied at boot by systemd-sysctl, after modules-load.d. */
export function renderSysctlFile(sysctls: SysctlMap): string {
  return renderSysctlDropIn(HEADER, sysctls);
}

/** `ip addr del` arguments of the VIP: address/prefix and device. */
export function ipAddrArgs(vip: DirectorVip): string[] {
  return [`${vip.address}/${vip.prefixLength}`, "dev", vip.interface];
}

/**
 * IPv6 VIPs skip duplicate address detection: real servers in DR hold the same VIP on
 * their loopback and may answer the probe, which would leave the director's VIP
 * "tentative" and unusable (keepalived adds its VIPs with nodad for the same reason).
 */
export function bindArgs(vip: DirectorVip): string[] {
  return vip.address.includes(":") ? [...ipAddrArgs(vip), "nodad"] : ipAddrArgs(vip);
}

/**
 * The unit that binds the VIPs at boot. Oneshot + RemainAfterExit: "active" means bound,
 * and stopping it (delete, or a VIP change) runs ExecStop, which removes exactly the
 * addresses this version of the unit added. The "-" lets a stop succeed when an address
 * was already removed by hand. Ordered after network-online.target so that the
 * interfaces exist and ifupdown/networkd have configured them first. A oneshot unit runs
 * its ExecStart lines in order and stops at the first that fails, so a VIP that cannot be
 * bound fails the start for all to see. One VIP gives the unit a Director of one VIP has
 * always written, so those hosts show no drift.
 */
export function renderVipUnit(vips: readonly DesiredVip[]): string {
  const described = vips.map((v) => `${v.address}/${v.prefixLength} on ${v.interface}`).join(", ");
  return [
    HEADER.trimEnd(),
    "[Unit]",
    `Description=pulumi-lvs director ${vips.length === 1 ? "VIP" : "VIPs"} ${described}`,
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    // A kept VIP (bound by hand before, adopted): added at boot only when missing ("-": an
    // address that exists fails `add`, and is left as its owner made it), never removed.
    ...vips.map((v) => (v.kept ? `ExecStart=-/sbin/ip addr add ${bindArgs(v).join(" ")}` : `ExecStart=/sbin/ip addr replace ${bindArgs(v).join(" ")}`)),
    ...vips.filter((v) => !v.kept).map((v) => `ExecStop=-/sbin/ip addr del ${ipAddrArgs(v).join(" ")}`),
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** The VIPs a unit we wrote binds (to tell our own addresses from someone else's), in order; the kept ones marked. */
export function parseVipUnit(text: string | undefined): DesiredVip[] {
  if (text === undefined) return [];
  return [...text.matchAll(/^ExecStart=-?\S+ addr (replace|add) (\S+)\/(\d+) dev (\S+)/gm)].map((m) => ({
    address: m[2]!,
    prefixLength: Number(m[3]),
    interface: m[4]!,
    ...(m[1] === "add" ? { kept: true } : {}),
  }));
}
