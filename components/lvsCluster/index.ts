export { LvsCluster } from "./lvsCluster";
export {
  CLUSTER_MODES,
  LvsClusterArgsError,
  serviceLabel,
  validateLvsClusterArgs,
  type ClusterMode,
  type LvsClusterArgs,
  type LvsClusterDirectorArgs,
  type LvsClusterKeepalivedPairArgs,
  type LvsClusterRealServerArgs,
  type LvsClusterServiceArgs,
} from "./args";
export { childNames, planLvsCluster, serviceSlug, type LvsClusterPlan } from "./plan";
