// The repository's own Pulumi program (project pulumi-lvs-lab): one LvsCluster described by
// stack config. `Pulumi.lab.yaml` builds a DR cluster on the test lab:
//
//   npm run build && npm run lab:up
//   pulumi stack select lab && pulumi up
//
// The build matters: the dynamic provider runs in its own process and loads
// `pulumi-lvs/provider/registry` from dist/ (the package resolves itself by name).

import * as pulumi from "@pulumi/pulumi";
import { LvsCluster } from "../index";
import { clusterArgsFromConfig } from "./config";

const cluster = new LvsCluster(pulumi.getStack(), clusterArgsFromConfig(new pulumi.Config("lvs")));

export const vip = cluster.vip;
export const services = Object.fromEntries(Object.entries(cluster.services).map(([label, vs]) => [label, vs.serviceKey]));
