// Kernel parameters as every host-preparing resource handles them: as a map, in one order,
// read from `sysctl` output, and written as `NAME=VALUE` arguments or sysctl.d lines.

/** Sysctl name → value, as `sysctl` prints them (`net.ipv4.ip_forward` → "1"). */
export type SysctlMap = Record<string, string>;

/** A map with its keys in order, so that state and files never change by reordering. */
export function sortedMap(map: SysctlMap): SysctlMap {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The sysctl of one interface, in the form both procps `sysctl` and systemd-sysctl read. */
export function interfaceSysctl(iface: string, leaf: string, family: "ipv4" | "ipv6" = "ipv4"): string {
  // A dot inside a name (VLAN eth0.100) would read as a separator: sysctl swaps it for "/".
  return `net.${family}.conf.${iface.replace(/\./g, "/")}.${leaf}`;
}

/**
 * `key = value` lines, as procps `sysctl` prints them. A vector's fields (sync_threshold
 * prints "3<TAB>50") are joined by one space, the form the inputs and sysctl.d files use.
 */
export function parseSysctlOutput(text: string): SysctlMap {
  const values: SysctlMap = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf(" = ");
    if (at > 0) values[line.slice(0, at).trim()] = line.slice(at + 3).trim().split(/\s+/).join(" ");
  }
  return sortedMap(values);
}

/** `NAME=VALUE` arguments for `sysctl -w`, in key order. */
export function sysctlAssignments(values: SysctlMap): string[] {
  return Object.entries(sortedMap(values)).map(([k, v]) => `${k}=${v}`);
}

/** The text of a sysctl.d file: `header`, then one `name = value` line per sysctl, in key order. */
export function renderSysctlDropIn(header: string, sysctls: SysctlMap): string {
  return `${header}${Object.entries(sortedMap(sysctls)).map(([k, v]) => `${k} = ${v}`).join("\n")}\n`;
}
