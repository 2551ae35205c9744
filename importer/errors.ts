// The importer's errors: each names the host or the option it is about and what to do.

import { LvsError } from "../provider/ssh";

/** A host's read could not be understood. */
export class ImportReadError extends LvsError {
  constructor(
    readonly host: string,
    detail: string,
  ) {
    super(`cannot read ${host} for the import: ${detail}`);
  }
}

/** Bad command-line options: every problem at once, each under its option. */
export class ImportUsageError extends LvsError {
  constructor(readonly problems: ReadonlyArray<{ option: string; message: string }>) {
    super(`pulumi-lvs import: ${problems.map((p) => `${p.option}: ${p.message}`).join("; ")}\nRun \`npx pulumi-lvs import --help\` for the options.`);
  }
}

/** What was read cannot be turned into a program at all (not one warning: nothing to write). */
export class ImportModelError extends LvsError {}
