// HaproxyConfig: one host's /etc/haproxy/haproxy.cfg, delivered over pulumi-lvs's SSH
// transport (`pulumi-lvs/provider/ssh`), as an example-local dynamic resource.
//
// Why not @pulumi/command: its provider plugin cannot be fetched on our machines (see
// ../with-vms/README.md), and it does not verify host keys. This resource uses the same
// transport as every pulumi-lvs resource: argv only, constant `sh -c` scripts that take
// their values as "$@", the file's content on stdin, the host key pinned and verified, and
// the private key redacted from every error.
//
// On the host:
//   create/update  the candidate is written next to haproxy.cfg and checked by `haproxy -c`;
//                  only then is the file the host had (and haproxy's enabled/active state)
//                  recorded, once, and the candidate renamed over haproxy.cfg; then haproxy
//                  is enabled and reloaded (started if it was not running);
//   read           the live haproxy.cfg and whether haproxy is enabled and active, so a hand
//                  edit or a stopped haproxy shows in `pulumi preview --refresh`;
//   delete         the recorded file and service state are put back, then the record goes.

import * as pulumi from "@pulumi/pulumi";
import type { SshConnectionArgs } from "pulumi-lvs";

// ---------------------------------------------------------------------------------------
// What runs on the host: constant scripts, values as positional parameters

export interface HaproxyPaths {
  config: string;
  /** The file the host had before, kept for delete. */
  original: string;
  /** owner=, file=present|absent, enabled=, active=: what delete puts back. */
  record: string;
}

const PATHS: HaproxyPaths = {
  config: "/etc/haproxy/haproxy.cfg",
  original: "/etc/haproxy/haproxy.cfg.pulumi-lvs-orig",
  record: "/etc/haproxy/haproxy.cfg.pulumi-lvs-record",
};

// Check first, so that a config HAProxy refuses changes nothing. The original is recorded
// only when no record exists: a create cut short and run again, or an update, must not
// take our own file for the host's. The record is written last (renamed into place), so
// its presence means the original is complete. reload-or-restart reloads a running
// haproxy (no dropped connections) and starts a stopped one.
const APPLY = `set -eu
cfg=$1 orig=$2 record=$3 owner=$4
command -v haproxy >/dev/null || { echo "haproxy is not installed on this host (Debian: apt-get install haproxy)" >&2; exit 3; }
case $(systemctl is-enabled haproxy 2>/dev/null || true) in masked*) echo "haproxy.service is masked on this host" >&2; exit 3 ;; esac
if [ -f "$record" ]; then
  was=$(sed -n 's/^owner=//p' "$record")
  [ "$was" = "$owner" ] || { echo "$cfg is managed by $was (see $record); one HaproxyConfig per host" >&2; exit 4; }
fi
rm -f -- "$cfg".pulumi-lvs-tmp.*
tmp=$(mktemp -- "$cfg.pulumi-lvs-tmp.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat >"$tmp"
chmod 0644 "$tmp"
if ! out=$(haproxy -c -f "$tmp" 2>&1); then printf 'haproxy -c refused the configuration:\\n%s\\n' "$out" >&2; exit 5; fi
if [ ! -f "$record" ]; then
  if [ -f "$cfg" ]; then cp -p -- "$cfg" "$orig"; file=present; else rm -f -- "$orig"; file=absent; fi
  enabled=$(systemctl is-enabled haproxy 2>/dev/null || true)
  active=$(systemctl is-active haproxy 2>/dev/null || true)
  printf 'owner=%s\\nfile=%s\\nenabled=%s\\nactive=%s\\n' "$owner" "$file" "$enabled" "$active" >"$record.tmp"
  mv -f -- "$record.tmp" "$record"
fi
sync -- "$tmp" 2>/dev/null || true
mv -f -- "$tmp" "$cfg"
trap - EXIT
systemctl enable --quiet haproxy
systemctl reload-or-restart haproxy
systemctl is-active --quiet haproxy || { echo "haproxy is not running after reload-or-restart: see journalctl -u haproxy" >&2; exit 6; }`;

const READ = `cfg=$1 record=$2
echo "== active"; systemctl is-active haproxy 2>/dev/null || true
echo "== enabled"; systemctl is-enabled haproxy 2>/dev/null || true
echo "== owner"; if [ -f "$record" ]; then sed -n 's/^owner=//p' "$record"; fi
if [ -f "$cfg" ]; then echo "== config"; cat -- "$cfg"; else echo "== no config"; fi`;

// Every step can run again: the record goes only at the end (before the original, so a
// delete cut between the two finds no record and just removes the original it left).
const RESTORE = `set -eu
cfg=$1 orig=$2 record=$3
rm -f -- "$cfg".pulumi-lvs-tmp.* "$record.tmp"
if [ ! -f "$record" ]; then rm -f -- "$orig"; exit 0; fi
field() { sed -n "s/^$1=//p" "$record"; }
file=$(field file) enabled=$(field enabled) active=$(field active)
case $active in active|activating|reloading) running=yes ;; *) running=no ;; esac
[ "$running" = yes ] || systemctl stop haproxy
if [ "$file" = present ]; then
  cp -p -- "$orig" "$cfg.pulumi-lvs-tmp.restore"
  mv -f -- "$cfg.pulumi-lvs-tmp.restore" "$cfg"
else
  rm -f -- "$cfg"
fi
case $enabled in enabled) systemctl enable --quiet haproxy ;; disabled) systemctl disable --quiet haproxy ;; esac
[ "$running" = no ] || systemctl reload-or-restart haproxy
rm -f -- "$record"
rm -f -- "$orig"`;

/** Installs the config given on stdin (see APPLY). */
export function applyArgv(owner: string, paths: HaproxyPaths = PATHS): string[] {
  return ["sh", "-c", APPLY, "lvs-haproxy-apply", paths.config, paths.original, paths.record, owner];
}

export function readArgv(paths: HaproxyPaths = PATHS): string[] {
  return ["sh", "-c", READ, "lvs-haproxy-read", paths.config, paths.record];
}

/** Puts back the recorded file and service state (see RESTORE). */
export function restoreArgv(paths: HaproxyPaths = PATHS): string[] {
  return ["sh", "-c", RESTORE, "lvs-haproxy-restore", paths.config, paths.original, paths.record];
}

export interface LiveHaproxy {
  active: boolean;
  enabled: boolean;
  /** Who recorded the original ("" when there is no record). */
  owner: string;
  /** The live haproxy.cfg, exactly; undefined when there is none. */
  config: string | undefined;
}

/** READ's output. The config comes last, so whatever it holds cannot be taken for a section. */
export function parseLiveHaproxy(stdout: string): LiveHaproxy {
  const sections: Record<string, string[]> = {};
  let current = "";
  let rest = stdout;
  for (;;) {
    const newline = rest.indexOf("\n");
    if (newline < 0) throw new Error(`unexpected output from the haproxy read: ${JSON.stringify(stdout.slice(0, 200))}`);
    const line = rest.slice(0, newline);
    rest = rest.slice(newline + 1);
    if (line === "== config") return live(sections, rest);
    if (line === "== no config") return live(sections, undefined);
    const header = /^== (\w+)$/.exec(line);
    if (header) current = header[1]!;
    else (sections[current] ??= []).push(line);
  }
}

function live(sections: Record<string, string[]>, config: string | undefined): LiveHaproxy {
  const first = (k: string) => (sections[k] ?? [])[0]?.trim() ?? "";
  return { active: first("active") === "active", enabled: first("enabled") === "enabled", owner: first("owner"), config };
}

// ---------------------------------------------------------------------------------------
// The dynamic provider

/** The part of `pulumi-lvs/provider/ssh` the provider uses (tests hand in their own). */
export interface SshTransport {
  run(connection: any, argv: readonly string[], opts?: { stdin?: string }): Promise<{ stdout: string }>;
  parseSshConnection(raw: unknown): unknown;
}

/** What the engine sends for a value not known yet at preview (@pulumi/pulumi's runtime unknownValue). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const hasUnknown = (v: unknown): boolean =>
  v === UNKNOWN || (v !== null && typeof v === "object" && Object.values(v as object).some(hasUnknown));

/** JSON with sorted keys: state passes through protobuf, which does not keep key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

/** The host a connection reaches: another host means another resource. */
const hostOf = (c: any) => `${c?.host}:${c?.port ?? 22}`;

export function diffHaproxyConfig(olds: Record<string, any>, news: Record<string, any>): pulumi.dynamic.DiffResult {
  const replaces = hostOf(olds["connection"]) !== hostOf(news["connection"]) ? ["connection"] : [];
  const changes =
    replaces.length > 0 ||
    olds["config"] !== news["config"] ||
    olds["active"] === false ||
    olds["enabled"] === false ||
    canonical(olds["connection"]) !== canonical(news["connection"]);
  // A new address may still reach the same machine (say, through a jump host now): the old
  // resource's restore must run before the new one records the original, not after it.
  return { changes, replaces, deleteBeforeReplace: true };
}

/**
 * The provider, with the transport it loads. Pulumi serialises this object into the state
 * (`__provider`) and runs it in a separate process: local functions are copied by value,
 * and the transport is loaded there by package name (as pulumi-lvs's own thin providers
 * load `pulumi-lvs/provider/registry`), so its connection pool is the one every pulumi-lvs
 * resource in that process shares. Nothing here refers to a credential: those arrive as inputs.
 */
export function makeHaproxyConfigProvider(transport: () => SshTransport): pulumi.dynamic.ResourceProvider {
  const observe = async (props: Record<string, any>) => {
    const found = parseLiveHaproxy((await transport().run(props["connection"], readArgv())).stdout);
    // No undefined on the wire (protobuf Struct has none).
    return { connection: props["connection"], owner: props["owner"], config: found.config ?? "", active: found.active, enabled: found.enabled };
  };
  const apply = async (props: Record<string, any>, owner: string) => {
    await transport().run(props["connection"], applyArgv(owner), { stdin: props["config"] });
    return observe({ ...props, owner });
  };
  return {
    check: async (_olds, news) => {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      const connection = news["connection"];
      if (!hasUnknown(connection)) {
        try {
          transport().parseSshConnection(connection);
        } catch (err) {
          const issues = (err as { issues?: Array<{ path: string; message: string }> }).issues;
          if (!issues) throw err;
          failures.push(...issues.map((i) => ({ property: i.path, reason: i.message })));
        }
        if (typeof connection?.hostKey !== "string") {
          failures.push({ property: "connection.hostKey", reason: "must pin the host's key (`ssh-ed25519 AAAA…` or `SHA256:…`): HaproxyConfig trusts no other source" });
        }
      }
      const config = news["config"];
      if (config !== UNKNOWN && (typeof config !== "string" || config.trim() === "" || config.includes("\0"))) {
        failures.push({ property: "config", reason: "must be the text of haproxy.cfg (not empty, no NUL)" });
      }
      return failures.length > 0 ? { failures } : { inputs: news };
    },
    diff: async (_id, olds, news) => diffHaproxyConfig(olds, news),
    create: async (inputs) => ({ id: `${hostOf(inputs["connection"])}/haproxy.cfg`, outs: await apply(inputs, inputs["owner"]) }),
    // The owner that recorded the original stays the owner.
    update: async (_id, olds, news) => ({ outs: await apply(news, olds["owner"] ?? news["owner"]) }),
    read: async (id, props) => ({ id, props: await observe(props ?? {}) }),
    delete: async (_id, props) => {
      await transport().run(props["connection"], restoreArgv());
    },
  };
}

// ---------------------------------------------------------------------------------------
// The resource

export interface HaproxyConfigArgs {
  /** The host, as pulumi-lvs takes it; `hostKey` must be pinned. Stored as a secret. */
  readonly connection: pulumi.Input<SshConnectionArgs>;
  /** The whole haproxy.cfg (see renderHaproxyConfig in haproxyTier.ts). */
  readonly config: pulumi.Input<string>;
}

// One serialised provider for every HaproxyConfig. The require is inside a function so the
// serialiser copies the call, not the module: it runs in the provider process. (The return
// type makes the compiler prove the package's transport fits SshTransport.)
export const haproxyConfigProvider = makeHaproxyConfigProvider((): SshTransport => require("pulumi-lvs/provider/ssh") as typeof import("pulumi-lvs/provider/ssh"));

export class HaproxyConfig extends pulumi.dynamic.Resource {
  /** The live haproxy.cfg (refresh reads it back). */
  declare readonly config: pulumi.Output<string>;
  /** Whether haproxy is running and enabled at boot. */
  declare readonly active: pulumi.Output<boolean>;
  declare readonly enabled: pulumi.Output<boolean>;
  /** project/stack/name: recorded on the host with the original, so a second resource cannot take the same host. */
  declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: HaproxyConfigArgs, opts?: pulumi.CustomResourceOptions) {
    const owner = `${pulumi.getProject()}/${pulumi.getStack()}/${name}`.replace(/[^\w.\/:@-]/g, "_");
    super(
      haproxyConfigProvider,
      name,
      // The connection holds the private key: a secret in the inputs and in the outputs.
      { connection: pulumi.secret(args.connection), config: args.config, owner, active: undefined, enabled: undefined },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "connection"] },
      "lvs-haproxy",
      "HaproxyConfig",
    );
  }
}
