// The lab inventory: how tests find the lab's VMs (written by test/lab/lab.sh up).
//
// A missing inventory is an error, never a skip: an integration suite that silently
// passes because the lab was down proves nothing.

import { existsSync, readFileSync } from "fs";
import { resolve } from "path";
import { z } from "zod";
import type { SshConnectionInput } from "../../provider/ssh/connection";

const InterfaceSchema = z.object({
  name: z.string(),
  ipv4: z.string(),
  ipv6: z.string(),
  mac: z.string(),
});

const HostSchema = z.object({
  name: z.string(),
  role: z.enum(["director", "realserver", "client"]),
  rebootable: z.boolean(),
  ssh: z.object({ host: z.string(), port: z.int() }),
  hostKey: z.string(),
  hostKeyFingerprint: z.string(),
  interfaces: z.object({ front: InterfaceSchema, back: InterfaceSchema.optional() }),
});

const InventorySchema = z.object({
  version: z.literal(1),
  sshKey: z.object({ privateKeyPath: z.string(), publicKey: z.string() }),
  wrongSshKey: z.object({ privateKeyPath: z.string() }),
  users: z.object({ root: z.string(), sudo: z.string(), sudoPassword: z.string() }),
  networks: z.object({
    front: z.object({ ipv4Cidr: z.string(), ipv6Cidr: z.string() }),
    back: z.object({ ipv4Cidr: z.string(), ipv6Cidr: z.string() }),
  }),
  hosts: z.array(HostSchema).min(1),
});

export type LabInventory = z.infer<typeof InventorySchema>;
export type LabHost = z.infer<typeof HostSchema>;
export type LabUser = "root" | "sudo" | "sudoPassword";

const HINT = "run `npm run lab:up` first (or point LVS_LAB_INVENTORY at an inventory file)";

export function labInventoryPath(): string {
  return process.env["LVS_LAB_INVENTORY"] ?? resolve(__dirname, "..", "lab", "inventory.json");
}

let cached: { path: string; inventory: LabInventory } | undefined;

/** Read and validate the inventory (once per process). Throws if the lab is not up. */
export function loadLabInventory(): LabInventory {
  const path = labInventoryPath();
  if (cached?.path === path) return cached.inventory;
  if (!existsSync(path)) throw new Error(`lab inventory not found at ${path}: ${HINT}`);
  const parsed = InventorySchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n");
    throw new Error(`lab inventory ${path} is not in the expected format (version 1):\n${problems}\nRe-create it: ${HINT}`);
  }
  cached = { path, inventory: parsed.data };
  return parsed.data;
}

/** One host of the lab by name (dir1, dir2, rs1, rs2, rs3, client). */
export function labHost(name: string): LabHost {
  const inventory = loadLabInventory();
  const host = inventory.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`the lab has no host "${name}" (it has: ${inventory.hosts.map((h) => h.name).join(", ")})`);
  return host;
}

function readKey(path: string): string {
  if (!existsSync(path)) throw new Error(`lab SSH key ${path} is missing: ${HINT}`);
  return readFileSync(path, "utf8");
}

/** The lab's SSH private key (accepted by root, lab and labpw on every host). */
export function labPrivateKey(): string {
  return readKey(loadLabInventory().sshKey.privateKeyPath);
}

/** A private key that no lab host accepts. */
export function labWrongPrivateKey(): string {
  return readKey(loadLabInventory().wrongSshKey.privateKeyPath);
}

export interface LabConnectionOptions {
  /** root (default), sudo (`lab`: passwordless sudo), sudoPassword (`labpw`: sudo wants a password). */
  user?: LabUser;
  /**
   * Reach the host through this lab host as a jump host: the proxy is that host's loopback
   * SSH endpoint (as root), the target is this host's front IPv4 address, port 22.
   */
  via?: string;
}

/** An SshConnectionInput for a lab host, with the lab key and the host key pinned. */
export function labConnection(name: string, opts: LabConnectionOptions = {}): SshConnectionInput {
  const inventory = loadLabInventory();
  const host = labHost(name);
  const privateKey = labPrivateKey();
  const user = inventory.users[opts.user ?? "root"];
  if (opts.via === undefined) {
    return { host: host.ssh.host, port: host.ssh.port, user, privateKey, hostKey: host.hostKey };
  }
  const jump = labHost(opts.via);
  return {
    host: host.interfaces.front.ipv4,
    port: 22,
    user,
    privateKey,
    hostKey: host.hostKey,
    proxy: { host: jump.ssh.host, port: jump.ssh.port, user: inventory.users.root, privateKey, hostKey: jump.hostKey },
  };
}

/** Text of the lab key that must never be readable anywhere: its armour and its body lines. */
export function labKeyMaterial(): string[] {
  return ["PRIVATE KEY", ...labPrivateKey().trim().split("\n").slice(1, -1).filter((l) => l.length >= 20)];
}
