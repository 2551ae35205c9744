// The engine's own cost at N, with nothing of ours in it (`npm run bench`, engine floor):
// N dynamic resources whose inputs and outputs have a RealServer's shape and size (a secret
// connection with a private key, the service, the destination), and whose provider answers
// at once without touching any host. What `pulumi up` of this costs is the engine's, the
// SDK's and the state backend's, the floor under any dynamic provider.
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const count = config.requireNumber("count");
const changedWeight = config.getNumber("changeWeightOfFirst");
const privateKey = config.requireSecret("privateKey");

type Props = Record<string, any>;
const destinationKeyOf = (p: Props) => `${p.service.protocol}:${p.service.address}:${p.service.port}->${p.address}:${p.port}`;

// Six small closures, as pulumi-lvs's own providers are serialized (each resource's state
// carries the serialized provider, so its size is part of the state's).
const provider: pulumi.dynamic.ResourceProvider = {
  check: async (_olds: Props, news: Props) => ({ inputs: news }),
  diff: async (_id: string, olds: Props, news: Props) => ({ changes: olds.weight !== news.weight }),
  create: async (inputs: Props) => ({ id: `127.0.0.1:2201/${destinationKeyOf(inputs)}`, outs: { ...inputs, destinationKey: destinationKeyOf(inputs), rulesFile: "/etc/ipvsadm.rules" } }),
  read: async (id: string, props: Props) => ({ id, props }),
  update: async (_id: string, olds: Props, news: Props) => ({ outs: { ...olds, ...news } }),
  delete: async () => undefined,
};

class FloorRealServer extends pulumi.dynamic.Resource {
  constructor(name: string, args: Props, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { destinationKey: undefined, rulesFile: undefined, ...args }, { ...opts, additionalSecretOutputs: ["connection"] }, "lvs", "FloorRealServer");
  }
}

for (let i = 0; i < count; i++) {
  new FloorRealServer(`r${i}`, {
    connection: { host: "127.0.0.1", port: 2201, user: "root", hostKey: config.require("hostKey"), privateKey },
    service: { protocol: "tcp", address: "10.77.0.161", port: 80 },
    address: `10.78.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    port: 8080,
    weight: i === 0 ? changedWeight ?? 1 : 1 + (i % 5),
    forwarding: "nat",
    upperThreshold: 0,
    lowerThreshold: 0,
    adopt: false,
  });
}
