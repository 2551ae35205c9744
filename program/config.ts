// Stack configuration (namespace `lvs`) → LvsCluster arguments.
//
// Hosts are named either by `host` (a name in the lab inventory, when `lvs:inventory` is
// set) or by an explicit `connection` object; a private key given in config is read from
// the secret `lvs:privateKey` so it never sits in clear text in Pulumi.<stack>.yaml.

import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { LvsClusterArgs, LvsClusterServiceArgs, SshConnectionArgs } from "../index";
import { inventoryConnection, loadInventory, type Inventory } from "./inventory";

interface HostRef {
  /** A host of the lab inventory. */
  host?: string;
  /** Otherwise an explicit connection (the private key comes from lvs:privateKey). */
  connection?: SshConnectionArgs;
}

interface DirectorConfig extends HostRef {
  interface?: string;
  vipInterface?: string;
}

interface RealServerConfig extends HostRef {
  name: string;
  address: string;
  weight?: number;
  port?: number;
  interfaces?: string[];
}

export function clusterArgsFromConfig(config: pulumi.Config): LvsClusterArgs {
  const inventoryPath = config.get("inventory");
  // Relative to the project directory, where `pulumi` runs the program.
  const inventory: Inventory | undefined = inventoryPath ? loadInventory(path.resolve(inventoryPath)) : undefined;
  const privateKey = config.getSecret("privateKey");

  const connect = (ref: HostRef, what: string): SshConnectionArgs => {
    if (ref.host !== undefined) {
      if (!inventory) throw new Error(`${what}.host needs lvs:inventory (or give ${what}.connection instead)`);
      return inventoryConnection(inventory, ref.host);
    }
    if (ref.connection === undefined) throw new Error(`${what}: set host (with lvs:inventory) or connection`);
    return privateKey ? { ...ref.connection, privateKey } : ref.connection;
  };

  const director = config.requireObject<DirectorConfig>("director");
  return {
    mode: config.require("mode") as LvsClusterArgs["mode"],
    director: {
      connection: connect(director, "lvs:director"),
      ...(director.interface ? { interface: director.interface } : {}),
      ...(director.vipInterface ? { vipInterface: director.vipInterface } : {}),
    },
    vip: config.require("vip"),
    services: config.requireObject<LvsClusterServiceArgs[]>("services"),
    realServers: config.requireObject<RealServerConfig[]>("realServers").map(({ host, connection, ...rs }, i) => ({
      ...rs,
      connection: connect({ host, connection }, `lvs:realServers[${i}]`),
    })),
    ...(config.getObject<{ configureRealServerRoutes?: boolean }>("nat") ? { nat: config.getObject("nat") } : {}),
  };
}
