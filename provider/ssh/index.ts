// Public API of the SSH transport. Everything else in provider/ssh is internal.

// The connection's zod schema is not exported: the published declarations must not name
// zod (see provider/typeEquality.ts); parseSshConnection validates with it.
export { describeConnection, parseSshConnection, secretsOf } from "./connection";
export type { SshConnection, SshConnectionInput } from "./connectionTypes";
export {
  CommandTimeoutError,
  ConnectionConfigError,
  HostKeyMismatchError,
  HostKeyUnknownError,
  LvsError,
  RemoteCommandError,
  RetryExhaustedError,
  SshAuthError,
  SshChannelError,
  SshConnectionLostError,
  SshDialError,
  SudoPasswordRequiredError,
  UnsafeArgumentError,
  redactSecrets,
  type ConfigIssue,
} from "./errors";
export { connectionInfo, exec, run, type ConnectionInfo, type ExecOptions, type ExecResult } from "./exec";
export {
  fingerprintOfKeyBlob,
  parseHostKeyPin,
  parsePublicKeyLine,
  verifyHostKey,
  type HostKeyPolicy,
  type HostKeySource,
  type HostKeyVerdict,
} from "./hostKey";
export { setSshLogger, type SshLogger } from "./log";
export { closeSshPool, configureSshPool, resetSshPool, sshPoolStats, type SshPoolConfig, type SshPoolStats } from "./pool";
export { quoteShellArg, renderCommandLine } from "./quote";
export { isTransientDialError, withRetry, type RetryOptions } from "./retry";
