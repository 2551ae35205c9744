// The transport's debug log hook. Silent by default; callers (tests, a provider that wants
// `pulumi up --debug` detail) opt in. Callers of sshLog pass only safe text: never a
// secret, never stdin (see exec.ts and dial.ts).

/** Debug sink; never receives secrets or stdin. */
export type SshLogger = (message: string) => void;

let logger: SshLogger | undefined;

export function setSshLogger(fn: SshLogger | undefined): void {
  logger = fn;
}

export function sshLog(message: string): void {
  logger?.(`[ssh] ${message}`);
}
