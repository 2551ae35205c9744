// The text of the files a RealServerArpConfig owns. Pure: plan.ts compares these with what
// the probe found; render.ts turns the plan's operations into argv.

import { renderSysctlDropIn, type SysctlMap } from "../resource/sysctl";
import { TUNNEL_DEVICE, type BoundVip, type DesiredArp } from "./model";

const HEADER =
  "# Written by pulumi-lvs (lvs:index:RealServerArpConfig). Edits show up as drift and are overwritten;\n# the file is removed when the resource is deleted.\n";

/** The sysctl.d file: applied at boot by systemd-sysctl (per interface: when udev adds it). */
export function renderArpSysctlFile(sysctls: SysctlMap): string {
  return renderSysctlDropIn(HEADER, sysctls);
}

/** Loads ipip at boot, before systemd-sysctl applies tunl0's rp_filter. */
export function renderArpModulesLoadFile(): string {
  return `${HEADER}ipip\n`;
}

/** `ip addr replace` arguments of a VIP: address/prefix, device, and nodad for IPv6. */
export function addArgs(vip: BoundVip): string[] {
  const args = [`${vip.address}/${vip.prefixLength}`, "dev", vip.device];
  // DAD on lo/tunl0 is pointless and would leave the VIP "tentative" while it runs.
  return vip.address.includes(":") ? [...args, "nodad"] : args;
}

/**
 * The unit that brings the VIPs (and tunl0) back at boot. Oneshot + RemainAfterExit, and
 * no ExecStop: a VIP may be shared with another RealServerArpConfig, so only delete
 * (under the registry's lock) removes addresses. ARP is quiet before it runs: the sysctls
 * are applied by systemd-sysctl, early. Ordered after the network configuration, so that
 * ifupdown/networkd cannot undo it.
 */
export function renderArpUnit(desired: Pick<DesiredArp, "mode" | "vips">): string {
  const start = [
    ...(desired.mode === "tun" ? ["/sbin/modprobe ipip", `/sbin/ip link set ${TUNNEL_DEVICE} up`] : []),
    ...desired.vips.map((v) => `/sbin/ip addr replace ${addArgs(v).join(" ")}`),
  ];
  return [
    HEADER.trimEnd(),
    "[Unit]",
    `Description=pulumi-lvs real server VIPs (${desired.mode}): ${desired.vips.map((v) => v.address).join(" ")}`,
    "Wants=network-online.target",
    "After=network-online.target systemd-sysctl.service systemd-modules-load.service",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    ...start.map((line) => `ExecStart=${line}`),
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
