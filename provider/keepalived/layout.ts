// Where a KeepalivedPair's files live on each node. keepalived reads
// /etc/keepalived/keepalived.conf, which we reduce to one include of the live generation:
//
//   /etc/keepalived/keepalived.conf               include /etc/keepalived/pulumi-lvs/live/keepalived.conf
//   /etc/keepalived/pulumi-lvs/live -> gen.<n>    the generation keepalived runs (a symlink)
//   /etc/keepalived/pulumi-lvs/gen.<n>/…          a complete configuration tree (render.ts)
//
// A change builds a new generation, checks it with `keepalived -t`, then swaps the symlink
// with one rename(2): keepalived (and a reboot) sees the old tree or the new one, never a mix.

import type { ServiceKey } from "../ipvs/model";

export const KEEPALIVED_CONF = "/etc/keepalived/keepalived.conf";

/**
 * A systemd drop-in that starts keepalived after Debian's ipvsadm.service at boot. That
 * LSB script clears the IPVS table ("Clearing the current IPVS table") even when it is not
 * configured to run, and at boot it runs beside keepalived: seen on the lab, it wiped the
 * virtual servers keepalived had just created, and the rebooted MASTER took the VIP back
 * with an empty table. Written with the pair, removed with it.
 */
export const BOOT_ORDER_DROP_IN = "/etc/systemd/system/keepalived.service.d/pulumi-lvs-after-ipvsadm.conf";
export const CONFIG_ROOT = "/etc/keepalived/pulumi-lvs";
export const LIVE_LINK = `${CONFIG_ROOT}/live`;
export const MAIN_FILE = "keepalived.conf";
export const SERVICES_DIR = "services";
export const PLACEHOLDER_FILE = "0-pulumi-lvs-empty.conf";

/** tcp_10.0.0.1_80, tcp_fd00--1_80, fwmark_42_ipv4: safe as one path component. */
export function serviceFileStem(key: ServiceKey): string {
  const raw = key.kind === "fwmark" ? `fwmark_${key.fwmark}_${key.family}` : `${key.protocol}_${key.address}_${key.port}`;
  return raw.replace(/:/g, "-");
}

/** The include the apply script writes (`include <stem>.vs`) while the service has a real server. */
export function serviceIncludeFile(key: ServiceKey): string {
  return `${SERVICES_DIR}/${serviceFileStem(key)}.conf`;
}

export function realServerDirName(key: ServiceKey): string {
  return `${serviceFileStem(key)}.d`;
}

/**
 * Paths relative to a generation directory. A service's virtual_server block is in
 * `<stem>.vs`; the apply script includes it (`<stem>.conf`: `include <stem>.vs`) only while
 * the service has a real server, because keepalived rejects a virtual_server without any.
 */
export function serviceFile(key: ServiceKey): string {
  return `${SERVICES_DIR}/${serviceFileStem(key)}.vs`;
}

export function realServerFile(key: ServiceKey, address: string, port: number): string {
  return `${SERVICES_DIR}/${realServerDirName(key)}/${address.replace(/:/g, "-")}_${port}.conf`;
}

export function realServerDir(key: ServiceKey): string {
  return `${SERVICES_DIR}/${realServerDirName(key)}`;
}

export const SERVICES_PLACEHOLDER = `${SERVICES_DIR}/${PLACEHOLDER_FILE}`;
