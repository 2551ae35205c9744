// What the importer reads from one host, in one round trip that changes nothing: the IPVS
// table (only where the ip_vs module is already loaded: ipvsadm would load it), keepalived's
// files and whether it runs, the sysctls LVS cares about, addresses, policy rules and routes.
//
// The script is a constant with no parameters; its two ipvsadm lines are the provider's
// READ_TABLE_COMMANDS (a unit test holds them equal), so parseLiveTable reads their output. File paths and contents are base64-encoded,
// so nothing in them can be mistaken for a section line.

import { parseLiveTable } from "../provider/ipvs/parse";
import type { IpvsTable } from "../provider/ipvs/model";
import { parseIpAddrShow, type InterfaceAddress } from "../provider/resource/ipAddrShow";
import { parseSysctlOutput, type SysctlMap } from "../provider/resource/sysctl";
import { ImportReadError } from "./errors";

const READ_SCRIPT = `set -u
echo "@@hostname $(hostname)"
if [ -f /etc/ssh/ssh_host_ed25519_key.pub ]; then echo "@@hostkey $(cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)"; fi
if [ -e /proc/net/ip_vs ] && command -v ipvsadm >/dev/null 2>&1; then
  echo "@@ipvs-save"; ipvsadm -S -n
  echo "@@ipvs-list"; ipvsadm -L -n --exact --thresholds
fi
echo "@@keepalived-active $(systemctl is-active keepalived 2>/dev/null)"
if [ -d /etc/keepalived ]; then
  find /etc/keepalived -type f -size -1024k | sort | while IFS= read -r f; do
    echo "@@file $(printf %s "$f" | base64 -w0) $(base64 -w0 <"$f")"
  done
fi
echo "@@sysctls"
sysctl -e net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv4.vs.conntrack net.ipv4.vs.expire_nodest_conn net.ipv4.vs.expire_quiescent_template 2>/dev/null
sysctl -a 2>/dev/null | grep -E '^net\\.ipv4\\.conf\\.[^.]+\\.(arp_ignore|arp_announce|send_redirects|rp_filter) = '
echo "@@addresses"; ip -o addr show
echo "@@rules"; ip rule show
echo "@@routes"; ip route show table all
echo "@@end"`;

/** The argv of the read: `sh -c <constant script>`. */
export function readArgv(): string[] {
  return ["sh", "-c", READ_SCRIPT, "pulumi-lvs-import-read"];
}

/** One host as the importer saw it. */
export interface HostSnapshot {
  hostname: string;
  /** The host's ed25519 key (`ssh-ed25519 AAAA…`), read over the verified connection. */
  hostKey?: string;
  /** Absent when the ip_vs module is not loaded (then the host has no IPVS table). */
  ipvs?: IpvsTable;
  keepalived: { active: boolean; files: Record<string, string> };
  sysctls: SysctlMap;
  addresses: InterfaceAddress[];
  /** `ip rule show` and `ip route show table all`, as printed. */
  rules: string;
  routes: string;
}

const b64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

/** The read's stdout → the snapshot. `host` names the host in errors. */
export function parseSnapshot(stdout: string, host: string): HostSnapshot {
  const sections = new Map<string, string[]>();
  const heads = new Map<string, string>();
  const files: Record<string, string> = {};
  let current: string[] | undefined;
  for (const line of stdout.split("\n")) {
    const m = /^@@([a-z-]+)(?: (.*))?$/.exec(line);
    if (!m) {
      current?.push(line);
      continue;
    }
    const [, name, rest = ""] = m;
    if (name === "file") {
      const [path = "", content = ""] = rest.split(" ");
      files[b64(path)] = b64(content);
      current = undefined;
      continue;
    }
    heads.set(name!, rest);
    current = [];
    sections.set(name!, current);
  }
  if (!heads.has("end")) throw new ImportReadError(host, "the read stopped before its end (no @@end line): is `sh` a POSIX shell there?");
  const text = (name: string) => (sections.get(name) ?? []).join("\n");
  return {
    hostname: heads.get("hostname") ?? host,
    ...(heads.get("hostkey") ? { hostKey: heads.get("hostkey")! } : {}),
    ...(sections.has("ipvs-save") ? { ipvs: parseLiveTable([text("ipvs-save"), text("ipvs-list")]) } : {}),
    keepalived: { active: heads.get("keepalived-active") === "active", files },
    sysctls: parseSysctlOutput(text("sysctls")),
    addresses: parseIpAddrShow(text("addresses")),
    rules: text("rules"),
    routes: text("routes"),
  };
}
