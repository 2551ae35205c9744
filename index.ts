// pulumi-lvs: Linux Virtual Server (IPVS) load balancers as Pulumi resources.

export { VirtualService, type VirtualServiceArgs } from "./provider/service/virtualService";
export { RealServer, type RealServerArgs } from "./provider/service/realServer";
export { Director, type DirectorArgs } from "./provider/director/director";
export { RealServerReturnRoute, type RealServerReturnRouteArgs } from "./provider/nat/realServerReturnRoute";
export { RealServerArpConfig, type RealServerArpConfigArgs } from "./provider/arp/realServerArpConfig";
export { KeepalivedPair, type KeepalivedPairArgs, type KeepalivedNodeArgs, type KeepalivedPairTarget } from "./provider/keepalived/keepalivedPair";
export { getVrrpStatus, type VrrpStatus, type VrrpNodeReport } from "./provider/keepalived/vrrpStatus";
export type { VrrpRole } from "./provider/keepalived/status";
export type { HealthCheck } from "./provider/keepalived/serviceModel";
export type { SshConnectionArgs } from "./provider/resource/connectionArgs";
export type { AddressFamily, Forwarding, IpvsProtocol, Scheduler, SchedulerFlag, TunnelChecksum, TunnelType } from "./provider/ipvs/model";
export {
  HostKeyMismatchError,
  HostKeyUnknownError,
  LvsError,
  RemoteCommandError,
  SshAuthError,
  SshDialError,
  SudoPasswordRequiredError,
} from "./provider/ssh";
export { LvsCluster, LvsClusterArgsError, type LvsClusterArgs, type LvsClusterDirectorArgs, type LvsClusterKeepalivedPairArgs, type LvsClusterRealServerArgs, type LvsClusterServiceArgs, type ClusterMode } from "./components/lvsCluster";
