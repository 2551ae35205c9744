// One round trip that tells us everything about a real server: ipip, IPv6, the default
// route, the live values of our sysctls, the interfaces, their links and addresses, this
// resource's files, every record of the host's registry, and the recorded originals.
//
// The script is a constant; the key and the sysctl names reach it as positional
// parameters. File contents are base64-encoded so that nothing in them can be mistaken
// for a section line.

import { parseIpAddrShow } from "../resource/ipAddrShow";
import { parseSysctlOutput } from "../resource/sysctl";
import { ArpParseError } from "./errors";
import { ARP_STATE_DIRECTORY, arpFiles, sortedMap, unitName, type ArpFile, type LiveArp, type SysctlMap } from "./model";

const PROBE_SCRIPT = `set -u
action=$1 dir=$2 unit=$3 sysctl_file=$4 unit_file=$5 modules_file=$6 record_file=$7
shift 7
# create/update in tun mode load ipip first: tunl0 and its sysctls only exist once it is,
# and their original values must be read before we change them.
if [ "$action" = load-ipip ] && [ ! -d /sys/module/ipip ]; then
  if ! out=$(modprobe ipip 2>&1); then echo "@@modprobe-failed $(printf '%s' "$out" | base64 -w0)"; fi
fi
if [ -d /sys/module/ipip ]; then echo "@@ipip loaded"; else echo "@@ipip absent"; fi
echo "@@ipv6-disabled $(cat /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null || echo missing)"
echo "@@routes"
ip -o -4 route show default 2>/dev/null
ip -o -6 route show default 2>/dev/null
echo "@@sysctls"
if [ "$#" -gt 0 ]; then sysctl -e "$@" 2>/dev/null; fi
echo "@@links"
ip -o link show
echo "@@addresses"
ip -o addr show
for role in sysctl:$sysctl_file unit:$unit_file modulesLoad:$modules_file record:$record_file; do
  file=\${role#*:}
  if [ -f "$file" ]; then echo "@@file \${role%%:*} $(base64 -w0 <"$file")"; fi
done
for file in "$dir"/*.record; do
  [ -f "$file" ] || continue
  key=\${file##*/}
  echo "@@record \${key%.record} $(base64 -w0 <"$file")"
done
for file in "$dir"/original/*; do
  [ -f "$file" ] || continue
  echo "@@original \${file##*/} $(base64 -w0 <"$file")"
done
echo "@@unit-enabled $(systemctl is-enabled "$unit" 2>/dev/null)"
if [ -d "$dir" ]; then echo "@@registry present"; fi
echo "@@end"`;

/** The probe's argv. `load-ipip` also loads ipip (tun create/update); `read` changes nothing. */
export function arpProbeArgv(action: "load-ipip" | "read", key: string, sysctlNames: readonly string[]): string[] {
  const files = arpFiles(key);
  return ["sh", "-c", PROBE_SCRIPT, "pulumi-lvs-arp-probe", action, ARP_STATE_DIRECTORY, unitName(key), files.sysctl, files.unit, files.modulesLoad, files.record, ...sysctlNames];
}

/** `ip -o route show default` lines → their devices, in order, once each. */
export function parseDefaultRouteDevices(text: string): string[] {
  const devices: string[] = [];
  for (const line of text.split("\n")) {
    const m = /\bdev (\S+)/.exec(line);
    if (m && !devices.includes(m[1]!)) devices.push(m[1]!);
  }
  return devices;
}

/** `ip -o link show` → names and which are administratively up (UP among the flags). */
export function parseIpLinkOutput(text: string): { interfaces: string[]; up: string[] } {
  const interfaces: string[] = [];
  const up: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\d+:\s+([^\s@:]+)(?:@[^:]+)?:\s+<([^>]*)>/.exec(line);
    if (!m) continue;
    interfaces.push(m[1]!);
    if (m[2]!.split(",").includes("UP")) up.push(m[1]!);
  }
  return { interfaces: interfaces.sort(), up: up.sort() };
}

const decode = (b64: string | undefined) => Buffer.from(b64 ?? "", "base64").toString("utf8");

export function parseArpProbeOutput(stdout: string): LiveArp {
  const live: LiveArp = {
    ipipLoaded: false,
    ipv6Disabled: false,
    defaultRouteInterfaces: [],
    sysctls: {},
    interfaces: [],
    upInterfaces: [],
    addresses: [],
    files: {},
    unitEnabled: false,
    records: {},
    originals: {},
  };
  const sections: Record<"routes" | "sysctls" | "links" | "addresses", string[]> = { routes: [], sysctls: [], links: [], addresses: [] };
  let current: keyof typeof sections | undefined;
  let ended = false;
  const originals: SysctlMap = {};
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("@@")) {
      if (current) sections[current].push(line);
      continue;
    }
    const [tag, ...rest] = line.slice(2).split(" ");
    const value = rest.join(" ").trim();
    current = undefined;
    switch (tag) {
      case "modprobe-failed":
        live.ipipLoadError = decode(value).trim();
        break;
      case "ipip":
        live.ipipLoaded = value === "loaded";
        break;
      case "ipv6-disabled":
        live.ipv6Disabled = value !== "0";
        break;
      case "routes":
      case "sysctls":
      case "links":
      case "addresses":
        current = tag;
        break;
      case "file":
        live.files[rest[0] as ArpFile] = decode(rest[1]);
        break;
      case "record":
        if (rest[0]) live.records[rest[0]] = decode(rest[1]);
        break;
      case "original":
        // The file name is the sysctl's with "/" (a dot in an interface name) as "%".
        if (rest[0]) originals[rest[0].replace(/%/g, "/")] = decode(rest[1]).trim();
        break;
      case "unit-enabled":
        live.unitEnabled = value === "enabled";
        break;
      case "registry":
        live.registryPresent = true;
        break;
      case "end":
        ended = true;
        break;
    }
  }
  if (!ended) throw new ArpParseError("the real server probe's output ended early (no @@end line)", stdout);
  live.defaultRouteInterfaces = parseDefaultRouteDevices(sections.routes.join("\n"));
  live.sysctls = parseSysctlOutput(sections.sysctls.join("\n"));
  const links = parseIpLinkOutput(sections.links.join("\n"));
  live.interfaces = links.interfaces;
  live.upInterfaces = links.up;
  live.addresses = parseIpAddrShow(sections.addresses.join("\n"));
  live.originals = sortedMap(originals);
  return live;
}
