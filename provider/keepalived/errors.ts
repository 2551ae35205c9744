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

// keepalived echoes configuration lines in its complaints; the VRRP password stands after
// auth_pass there (and after auth_data in its JSON), whoever applies the change and whether
// or not the caller knows the password. Only the value is replaced, where it stands.
const AUTH_VALUE = /\b(auth_pass|auth_data)\b([ \t]+|["']?[ \t]*[:=][ \t]*)("(?:[^"\\\n]|\\.)*"?|'[^'\n]*'?|[^\s"',}]+)/g;

/** `text` with every auth_pass / auth_data value replaced by [REDACTED]. */
export function redactKeepalivedAuth(text: string): string {
  return text.replace(AUTH_VALUE, (_m, keyword: string, gap: string) => `${keyword}${gap}[REDACTED]`);
}

/** What a roll-back did on one node of a pair. */
export interface NodeRollback {
  host: string;
  /** True only when the node is known to be back as it was before the change. */
  restored: boolean;
  /** What was put back, one entry per file or step ("restored services/x.vs", "removed services/y.vs"). */
  steps: string[];
  /** Why the node is not back as it was (set when restored is false). */
  problem?: string;
}

/** The roll-back, per node, for an error message; says plainly what is NOT back. */
export function describeRollback(rollback: readonly NodeRollback[]): string {
  return rollback
    .map((r) =>
      r.restored
        ? `The change already applied on ${r.host} was rolled back${r.steps.length > 0 ? ` (${r.steps.join("; ")})` : ""}.`
        : `ROLL-BACK INCOMPLETE on ${r.host}: ${trimStderr(r.problem ?? "unknown")}` +
          (r.steps.length > 0 ? ` (done before that: ${r.steps.join("; ")})` : "") +
          `. That node may still have the new files: check it, then run \`pulumi refresh\` and \`pulumi up\`.`,
    )
    .map((l) => `${l}\n`)
    .join("");
}

/** A change to a pair failed part-way; `rollback` says exactly what was put back on which node. */
export class KeepalivedApplyError extends LvsError {
  readonly rollback: readonly NodeRollback[];

  constructor(message: string, rollback: readonly NodeRollback[], secrets: readonly string[]) {
    super(redactKeepalivedAuth(message).trimEnd(), secrets);
    this.rollback = rollback;
  }

  /** False when some node could not be put back as it was. */
  get rolledBackCompletely(): boolean {
    return this.rollback.every((r) => r.restored);
  }
}

/** `keepalived -t` refused the candidate configuration; nothing was swapped in on that node. */
export class KeepalivedConfigRejectedError extends KeepalivedApplyError {
  constructor(f: { host: string; what: string; output: string; rollback: readonly NodeRollback[] }, secrets: readonly string[]) {
    const lines = keepalivedErrorLines(f.output);
    const said = (lines.length > 0 ? lines : [trimStderr(f.output) || "(no output)"]).map((l) => `  ${l}`).join("\n");
    super(
      `keepalived on ${f.host} rejected the candidate configuration for ${f.what} (\`keepalived -t\` exited non-zero); ` +
        `the running configuration and the VIPs were not touched there.\nkeepalived said:\n${said}\n` +
        describeRollback(f.rollback) +
        `Fix the offending input (a free-form option such as extraInstanceConfig is the usual cause) and run \`pulumi up\` again.`,
      f.rollback,
      secrets,
    );
  }
}

/** The new files were swapped in and reloaded, but keepalived did not come up with them. */
export class KeepalivedReloadError extends KeepalivedApplyError {
  constructor(f: { host: string; what: string; detail: string; rollback: readonly NodeRollback[] }, secrets: readonly string[]) {
    super(
      `keepalived on ${f.host} did not load the new configuration for ${f.what}: ${trimStderr(f.detail)}.\n` +
        describeRollback(f.rollback) +
        `Look at \`journalctl -u keepalived\` there, fix the cause, and run \`pulumi up\` again.`,
      f.rollback,
      secrets,
    );
  }
}

/** The change could not be finished on a node (connection lost, timeout, an unexpected failure). */
export class KeepalivedApplyInterruptedError extends KeepalivedApplyError {
  constructor(f: { host: string; what: string; cause: string; rollback: readonly NodeRollback[] }, secrets: readonly string[]) {
    super(
      `applying ${f.what} on ${f.host} did not complete: ${trimStderr(f.cause)}\n` +
        describeRollback(f.rollback) +
        `Once the host is reachable, run \`pulumi up\` again: what is already there and matches is carried on.`,
      f.rollback,
      secrets,
    );
  }
}

/** keepalived is not installed on a pair node. */
export class KeepalivedMissingError extends KeepalivedApplyError {
  constructor(f: { host: string; rollback?: readonly NodeRollback[] }) {
    super(
      `cannot configure keepalived on ${f.host}: keepalived is not installed there (\`keepalived --version\` was not found). ` +
        `Install it (\`apt-get install keepalived\` on Debian/Ubuntu, \`dnf install keepalived\` on RHEL), then run \`pulumi up\` again.\n` +
        describeRollback(f.rollback ?? []),
      f.rollback ?? [],
      [],
    );
  }
}

/** The host's keepalived.conf is the user's own, and the pair was not told to take it over. */
export class ForeignKeepalivedConfigError extends KeepalivedApplyError {
  constructor(f: { host: string; path: string; rollback?: readonly NodeRollback[] }) {
    super(
      `cannot create the KeepalivedPair on ${f.host}: ${f.path} already exists and was not written by pulumi-lvs. ` +
        `KeepalivedPair never overwrites a configuration it did not create. Move it aside, or set \`adopt: true\` ` +
        `to take over (the file is kept as ${f.path}.pulumi-lvs-orig and put back when the pair is deleted).\n` +
        describeRollback(f.rollback ?? []),
      f.rollback ?? [],
      [],
    );
  }
}

/**
 * The keepalived.conf a pair adopts holds something that cannot be carried into the pair's
 * tree as it is (carryOver.ts). Nothing was changed on any node.
 */
export class AdoptedConfigUnreadableError extends LvsError {
  constructor(f: { host: string; detail: string }) {
    super(
      `cannot adopt the keepalived configuration on ${f.host}: ${redactKeepalivedAuth(f.detail)}. Nothing was changed. The pair carries the ` +
        `hand-made virtual servers into its own files so that keepalived keeps serving them while it takes over; fix that line ` +
        `(keepalived reads it the same way once fixed), then run \`pulumi up\` again.`,
    );
  }
}

/** A VirtualService on a pair clashes with an entry keepalived does not own (an ipvsadm rule). */
export class MixedManagementError extends LvsError {}
