// Typed errors of IPVS changes: what was attempted (the ipvsadm command, not the wrapper
// script that saves the rules file), on which director, what ipvsadm answered, what to do.

import { LvsError } from "../ssh";

/** ipvsadm's stderr → what the user should do about it. */
const HINTS: ReadonlyArray<[RegExp, string]> = [
  [/service not defined/i, "the service is not on the director (removed out of band?); run `pulumi refresh`, then `pulumi up` to recreate it"],
  [/(service|destination) already exists/i, "it already exists on the director; set `adopt: true` to take it over (dynamic resources cannot be imported)"],
  [/no such destination/i, "the real server is not on the director (removed out of band?); run `pulumi refresh`"],
  [/protocol not available|can't initialize ipvs/i, "the director's kernel has no IPVS: load it with `modprobe ip_vs` (the Director resource does this)"],
  [/command not found|not found$/im, "install ipvsadm on the director (the Director resource can: installIpvsadm: true)"],
];

export class IpvsChangeError extends LvsError {
  readonly command: string;
  /** ipvsadm's exit code; none for a line of a batch sent through one `ipvsadm -R`. */
  readonly exitCode: number | undefined;
  readonly stderr: string;

  constructor(f: { host: string; command: string; exitCode: number | undefined; stderr: string }) {
    const hint = HINTS.find(([pattern]) => pattern.test(f.stderr))?.[1] ?? "check the director's kernel log (`dmesg`) and ipvsadm's message above";
    super(`\`${f.command}\` failed on ${f.host}${f.exitCode === undefined ? "" : ` (exit ${f.exitCode})`}: ${f.stderr.trim() || "(no message)"}. What to do: ${hint}.`);
    this.command = f.command;
    this.exitCode = f.exitCode;
    this.stderr = f.stderr;
  }
}
