// One round trip that tells us everything about a director: whether ipvsadm is there,
// whether ip_vs is loaded, the live values of the sysctls we care about, the interfaces
// and their addresses, our files and the VIP unit. `read` is this probe alone; create,
// update and delete are this probe plus one batch of changes.
//
// The script is a constant; the sysctl names reach it as positional parameters. It prints
// one `@@section` line before each part. File contents and modprobe's complaint are
// base64-encoded so that nothing in them can be mistaken for a section line.

import { RUN_COMMANDS_FROM_STDIN } from "../resource/commandBatch";
import { parseIpAddrShow } from "../resource/ipAddrShow";
import { parseSysctlOutput } from "../resource/sysctl";
import { DirectorParseError } from "./errors";
import { DIRECTOR_FILES, VIP_UNIT_NAME, type DirectorFile, type LiveDirector } from "./model";

const FILE_PATHS = Object.values(DIRECTOR_FILES).join(" ");

const PROBE_SCRIPT = `set -u
action=$1
shift
ipvsadm --version >/dev/null 2>&1
ipvsadm_rc=$?
echo "@@ipvsadm $ipvsadm_rc"
if command -v apt-get >/dev/null 2>&1; then echo "@@packages apt"
elif command -v dnf >/dev/null 2>&1; then echo "@@packages dnf"
else echo "@@packages unknown"; fi
# create/update load ip_vs first: the net.ipv4.vs.* sysctls only exist once it is loaded,
# and their previous values must be read before we change them.
if [ "$action" = load ] && [ "$ipvsadm_rc" -ne 127 ] && [ ! -d /sys/module/ip_vs ]; then
  if ! out=$(modprobe ip_vs 2>&1); then echo "@@modprobe-failed $(printf '%s' "$out" | base64 -w0)"; fi
fi
if [ -d /sys/module/ip_vs ]; then echo "@@module loaded"; else echo "@@module absent"; fi
echo "@@sysctls"
if [ "$#" -gt 0 ]; then sysctl -e "$@" 2>/dev/null; fi
echo "@@interfaces"
ls -1 /sys/class/net
echo "@@addresses"
ip -o addr show
for file in ${FILE_PATHS}; do
  if [ -f "$file" ]; then echo "@@file $file $(base64 -w0 <"$file")"; fi
done
echo "@@unit-enabled $(systemctl is-enabled ${VIP_UNIT_NAME} 2>/dev/null)"
echo "@@unit-active $(systemctl is-active ${VIP_UNIT_NAME} 2>/dev/null)"
echo "@@end"`;

/** What the probe-then-apply script prints, after the probe, to ask for its changes. */
export const APPLY_REQUEST = "@@pulumi-lvs-director-changes?";

// The probe, then the changes planned from it, in one remote command: the provider answers
// APPLY_REQUEST with the list (commandsOnStdin), and the script runs it as a batch. A
// create or update is then one round trip, not two. An answer that does not come (the
// provider gave up, or the connection dropped) changes nothing.
const PROBE_THEN_APPLY_SCRIPT = `reply_wait=$1
policy=$2
shift 2
probe() {
${PROBE_SCRIPT}
}
probe "$@"
echo "${APPLY_REQUEST}"
${RUN_COMMANDS_FROM_STDIN}`;

/**
 * The argv of the probe followed by the changes the provider answers with. `replyWaitSeconds`
 * bounds the wait for each field of the answer; `policy` is batchArgv's.
 */
export function probeThenApplyArgv(replyWaitSeconds: number, policy: "stop" | "continue", action: "load" | "read", sysctlNames: readonly string[]): string[] {
  if (!Number.isInteger(replyWaitSeconds) || replyWaitSeconds < 1) throw new Error(`probeThenApplyArgv: the reply wait must be a whole number of seconds, got ${replyWaitSeconds}`);
  return ["bash", "-c", PROBE_THEN_APPLY_SCRIPT, "pulumi-lvs-director", String(replyWaitSeconds), policy, action, ...sysctlNames];
}

/** The probe's part of the probe-then-apply script's stdout, up to APPLY_REQUEST. */
export function probePartOf(stdout: string): string {
  const at = stdout.lastIndexOf(`\n${APPLY_REQUEST}\n`);
  return at < 0 ? stdout : stdout.slice(0, at + 1);
}

/**
 * The probe's argv. `load` also loads ip_vs when ipvsadm is present (create and update
 * leave it loaded anyway); `read` changes nothing.
 */
export function probeArgv(action: "load" | "read", sysctlNames: readonly string[]): string[] {
  return ["sh", "-c", PROBE_SCRIPT, "pulumi-lvs-probe", action, ...sysctlNames];
}

const FILE_BY_PATH = new Map<string, DirectorFile>(Object.entries(DIRECTOR_FILES).map(([k, p]) => [p, k as DirectorFile]));

export function parseProbeOutput(stdout: string): LiveDirector {
  const live: LiveDirector = {
    ipvsadmPresent: false,
    packageManager: "unknown",
    moduleLoaded: false,
    sysctls: {},
    interfaces: [],
    addresses: [],
    files: {},
    vipUnitEnabled: false,
    vipUnitActive: false,
  };
  const sections: Record<"sysctls" | "interfaces" | "addresses", string[]> = { sysctls: [], interfaces: [], addresses: [] };
  let current: keyof typeof sections | undefined;
  let ended = false;
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("@@")) {
      if (current) sections[current].push(line);
      continue;
    }
    const [tag, ...rest] = line.slice(2).split(" ");
    const value = rest.join(" ");
    current = undefined;
    switch (tag) {
      case "ipvsadm":
        live.ipvsadmPresent = value.trim() !== "127";
        break;
      case "packages":
        live.packageManager = value === "apt" || value === "dnf" ? value : "unknown";
        break;
      case "modprobe-failed":
        live.moduleLoadError = Buffer.from(value, "base64").toString("utf8").trim();
        break;
      case "module":
        live.moduleLoaded = value === "loaded";
        break;
      case "sysctls":
      case "interfaces":
      case "addresses":
        current = tag;
        break;
      case "file": {
        const [path, encoded = ""] = rest;
        const file = FILE_BY_PATH.get(path ?? "");
        if (file) live.files[file] = Buffer.from(encoded, "base64").toString("utf8");
        break;
      }
      case "unit-enabled":
        live.vipUnitEnabled = value.trim() === "enabled";
        break;
      case "unit-active":
        live.vipUnitActive = value.trim() === "active";
        break;
      case "end":
        ended = true;
        break;
    }
  }
  if (!ended) throw new DirectorParseError("the director probe's output ended early (no @@end line)", stdout);
  live.sysctls = parseSysctlOutput(sections.sysctls.join("\n"));
  live.interfaces = sections.interfaces.map((l) => l.trim()).filter((l) => l.length > 0).sort();
  live.addresses = parseIpAddrShow(sections.addresses.join("\n"));
  return live;
}
