// The SSH connection as users write it and as the transport uses it, spelled out as plain
// TypeScript. These are the types the published declarations show, so they must not be
// inferred from the zod schema: that would make every user's compiler load zod's
// declarations (see provider/typeEquality.ts). connection.ts asserts that its schema
// accepts exactly SshConnectionInput and produces exactly SshConnection.

import type { HostKeyPolicy } from "./hostKey";

/** What users write: only `host` and a credential are needed; the rest have defaults. */
export interface SshConnectionInput {
  /** Address or name of the host. */
  host: string;
  /** SSH port. Default 22. */
  port?: number | undefined;
  /** Login user. Default root. */
  user?: string | undefined;
  /** OpenSSH or PEM private key text (not its path). Secret. */
  privateKey?: string | undefined;
  /** Passphrase of `privateKey`. Secret. */
  privateKeyPassphrase?: string | undefined;
  /** Password authentication. Secret. */
  password?: string | undefined;
  /** Path of an ssh-agent socket. */
  agentSocket?: string | undefined;
  /** Pinned host key: an OpenSSH public key line (`ssh-ed25519 AAAA…`) or a `SHA256:` fingerprint. */
  hostKey?: string | undefined;
  /** Where to look up the host key when none is pinned. Default ~/.ssh/known_hosts. */
  knownHostsFile?: string | undefined;
  /** `accept-new` trusts the first key seen when none is pinned or known. Default strict. */
  hostKeyPolicy?: HostKeyPolicy | undefined;
  /** The `SHA256:` fingerprint recorded under `accept-new`, enforced like a pin. */
  acceptedHostKey?: string | undefined;
  /** Run commands through `sudo -n`. Default: on unless `user` is root. */
  sudo?: boolean | undefined;
  /** Time limits in milliseconds. */
  timeouts?: SshTimeoutsInput | undefined;
  /** Commands run at once on the connection, 1..64. Default 8 (sshd's MaxSessions is 10). */
  maxChannels?: number | undefined;
  /** A jump host, itself a connection (verified the same way). */
  proxy?: SshConnectionInput | undefined;
}

export interface SshTimeoutsInput {
  /** TCP connect + SSH handshake + auth, per attempt. Default 20000. */
  connectMs?: number | undefined;
  /** One remote command, from exec request to exit status. Default 300000. */
  commandMs?: number | undefined;
}

/** Fields that have a default (or, for sudo, a resolved value) once validated. */
type Defaulted = "port" | "user" | "hostKeyPolicy" | "sudo" | "timeouts" | "maxChannels";

/** A validated connection with every default filled in. */
export interface SshConnection extends Omit<SshConnectionInput, Defaulted | "proxy"> {
  port: number;
  user: string;
  hostKeyPolicy: HostKeyPolicy;
  /** Resolved: true for any user but root unless set. */
  sudo: boolean;
  timeouts: SshTimeouts;
  maxChannels: number;
  proxy?: SshConnection | undefined;
}

export type SshTimeouts = Required<SshTimeoutsInput>;
