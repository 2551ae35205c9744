// Connections from the lab inventory (test/lab/inventory.json, written by `npm run lab:up`;
// its full schema is in test/support/lab.ts). Only the fields the program needs are read:
// each host's SSH endpoint and pinned host key, the root user and the key path.

import { existsSync, readFileSync } from "fs";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { SshConnectionArgs } from "../index";

const InventorySchema = z.object({
  version: z.literal(1),
  sshKey: z.object({ privateKeyPath: z.string() }),
  users: z.object({ root: z.string() }),
  hosts: z.array(
    z.object({
      name: z.string(),
      ssh: z.object({ host: z.string(), port: z.int() }),
      hostKey: z.string(),
    }),
  ),
});
export type Inventory = z.infer<typeof InventorySchema>;

export function loadInventory(path: string): Inventory {
  if (!existsSync(path)) throw new Error(`lab inventory not found at ${path}: run \`npm run lab:up\` first, or set lvs:inventory`);
  const parsed = InventorySchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) throw new Error(`lab inventory ${path} is not in the expected format: ${parsed.error.message}`);
  return parsed.data;
}

/** Root over the host's forwarded SSH port, host key pinned, private key as a secret. */
export function inventoryConnection(inventory: Inventory, hostName: string): SshConnectionArgs {
  const host = inventory.hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`the inventory has no host "${hostName}" (it has: ${inventory.hosts.map((h) => h.name).join(", ")})`);
  return {
    host: host.ssh.host,
    port: host.ssh.port,
    user: inventory.users.root,
    privateKey: pulumi.secret(readFileSync(inventory.sshKey.privateKeyPath, "utf8")),
    hostKey: host.hostKey,
  };
}
