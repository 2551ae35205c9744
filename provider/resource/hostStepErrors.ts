// The errors every host-preparing resource (Director, RealServerArpConfig) raises alike:
// one step of a change failed, or a probe printed what we cannot read. Each resource
// names its own subclass, so users can still catch DirectorChangeError or ArpChangeError.

import { LvsError } from "../ssh";
import { trimStderr } from "../ssh/errors";

/** One step of a change failed on the host: what was attempted, the step, its exit code and stderr. */
export class HostStepError extends LvsError {
  readonly step: string;
  readonly exitCode: number;
  readonly stderr: string;

  constructor(f: { host: string; attempted: string; step: string; exitCode: number; stderr: string; afterwards: string }) {
    super(`could not ${f.attempted} on ${f.host}: "${f.step}" exited with ${f.exitCode}: ${trimStderr(f.stderr) || "(no output)"}. ${f.afterwards}`);
    this.step = f.step;
    this.exitCode = f.exitCode;
    this.stderr = trimStderr(f.stderr);
  }
}

/** A probe printed something we do not understand (not a host we can manage?). */
export class HostProbeParseError extends LvsError {
  constructor(what: string, output: string) {
    super(`${what}; output was: ${trimStderr(output, 500) || "(empty)"}. Is the host a Linux system with a POSIX sh, sysctl and iproute2?`);
  }
}
