// The connection a resource uses for an operation on an existing resource.
//
// Under hostKeyPolicy "accept-new" with no pinned key, the first key seen at create is
// recorded in the resource's state (`hostKeyFingerprint`) and enforced from then on, so a
// host that changes its key later is refused, exactly as OpenSSH's accept-new does.

import { connectionInfo, parseSshConnection, type SshConnection } from "../ssh";

/** The connection from inputs or state, with the key recorded at create enforced. */
export function resolveConnection(raw: unknown, recordedFingerprint?: unknown): SshConnection {
  const connection = parseSshConnection(raw);
  if (
    connection.hostKeyPolicy === "accept-new" &&
    connection.hostKey === undefined &&
    connection.acceptedHostKey === undefined &&
    typeof recordedFingerprint === "string"
  ) {
    return parseSshConnection({ ...(raw as object), acceptedHostKey: recordedFingerprint });
  }
  return connection;
}

/** The host key fingerprint the connection was verified with, for the resource's state. */
export async function observedHostKeyFingerprint(connection: SshConnection): Promise<string> {
  return (await connectionInfo(connection)).hostKeyFingerprint;
}
