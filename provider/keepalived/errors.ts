// Typed errors of keepalived-managed resources. Each names the host, what keepalived said
// (its own `(file: Line N) message` lines) and what to do next. The VRRP password is
// redacted from everything a host prints back, in case a message ever quotes a line.

import { LvsError } from "../ssh";
import { trimStderr } from "../ssh/errors";

/** A keepalived file that does not parse (edited by hand into something we cannot read). */
export class ParseError extends LvsError {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`cannot read ${file} line ${line}: ${detail}. Fix or remove the hand edit, then run \`pulumi refresh\` again.`);
  }
}

/** Lines keepalived prints for configuration errors: `(file: Line N) message`. */
export function keepalivedErrorLines(output: string): string[] {
  return output
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^\(.*Line \d+\)/.test(l) || /^\(Line \d+\)/.test(l) || /error|invalid|unknown|warning|violation|exceeds|ignoring|killed/i.test(l));
}

/** `keepalived -t` refused the candidate configuration; nothing was swapped in. */
export class KeepalivedConfigRejectedError extends LvsError {
  constructor(f: { host: string; what: string; output: string; rolledBack: readonly string[] }, secrets: readonly string[]) {
    const lines = keepalivedErrorLines(f.output);
    const said = (lines.length > 0 ? lines : [trimStderr(f.output) || "(no output)"]).map((l) => `  ${l}`).join("\n");
    super(
      `keepalived on ${f.host} rejected the candidate configuration for ${f.what} (\`keepalived -t\` exited non-zero); ` +
        `the running configuration and the VIPs were not touched.\nkeepalived said:\n${said}\n` +
        (f.rolledBack.length > 0 ? `The change already applied on ${f.rolledBack.join(", ")} was rolled back.\n` : "") +
        `Fix the offending input (a free-form option such as extraInstanceConfig is the usual cause) and run \`pulumi up\` again.`,
      secrets,
    );
  }
}

/** The new files were swapped in and reloaded, but keepalived did not come up with them. */
export class KeepalivedReloadError extends LvsError {
  constructor(f: { host: string; what: string; detail: string; restored: boolean; rolledBack: readonly string[] }, secrets: readonly string[]) {
    super(
      `keepalived on ${f.host} did not load the new configuration for ${f.what}: ${trimStderr(f.detail)}. ` +
        (f.restored ? "The previous files were put back and keepalived reloaded with them. " : "Restoring the previous files ALSO failed: check `journalctl -u keepalived` on that host now. ") +
        (f.rolledBack.length > 0 ? `The change already applied on ${f.rolledBack.join(", ")} was rolled back. ` : "") +
        `Look at \`journalctl -u keepalived\` there, fix the cause, and run \`pulumi up\` again.`,
      secrets,
    );
  }
}

/** keepalived is not installed on a pair node. */
export class KeepalivedMissingError extends LvsError {
  constructor(f: { host: string }) {
    super(
      `cannot configure keepalived on ${f.host}: keepalived is not installed there (\`keepalived --version\` was not found). ` +
        `Install it (\`apt-get install keepalived\` on Debian/Ubuntu, \`dnf install keepalived\` on RHEL), then run \`pulumi up\` again.`,
    );
  }
}

/** The host's keepalived.conf is the user's own, and the pair was not told to take it over. */
export class ForeignKeepalivedConfigError extends LvsError {
  constructor(f: { host: string; path: string }) {
    super(
      `cannot create the KeepalivedPair on ${f.host}: ${f.path} already exists and was not written by pulumi-lvs. ` +
        `KeepalivedPair never overwrites a configuration it did not create. Move it aside, or set \`adopt: true\` ` +
        `to take over (the file is kept as ${f.path}.pulumi-lvs-orig and put back when the pair is deleted).`,
    );
  }
}

/** A VirtualService on a pair clashes with an entry keepalived does not own (an ipvsadm rule). */
export class MixedManagementError extends LvsError {}
