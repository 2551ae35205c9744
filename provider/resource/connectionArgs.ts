// What users pass as `connection`: the SSH connection, with every field a Pulumi input so
// that VM outputs (addresses, generated keys, host keys) flow straight in.

import * as pulumi from "@pulumi/pulumi";
import type { SshConnectionInput } from "../ssh";

export type SshConnectionArgs = {
  [K in keyof Omit<SshConnectionInput, "proxy">]: pulumi.Input<SshConnectionInput[K]>;
} & {
  /** A jump host, itself a connection (verified the same way). */
  proxy?: pulumi.Input<SshConnectionArgs>;
};

/**
 * Options every pulumi-lvs resource gets: the connection (credentials included) is
 * stored in state as a secret, whatever the user passed.
 */
export function withSecretConnection(
  opts: pulumi.CustomResourceOptions | undefined,
  secretOutputs: readonly string[] = ["connection"],
): pulumi.CustomResourceOptions {
  const additional = [...(opts?.additionalSecretOutputs ?? []), ...secretOutputs];
  return { ...opts, additionalSecretOutputs: [...new Set(additional)] };
}

/**
 * The connection as a secret input. additionalSecretOutputs only covers outputs: without
 * this, a key the user passed without pulumi.secret() would sit readable in the state's
 * inputs (pulumi/pulumi#7910).
 */
export function secretConnection(connection: pulumi.Input<SshConnectionArgs> | undefined): pulumi.Output<unknown> | undefined {
  return connection === undefined ? undefined : pulumi.secret(connection);
}
