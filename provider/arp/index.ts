// Public API of the RealServerArpConfig: the resource, its provider implementation, and
// the pure functions it is built from (exported for tests).

export { RealServerArpConfig, type RealServerArpConfigArgs } from "./realServerArpConfig";
export { REAL_SERVER_ARP_CONFIG_TYPE, arpResourceId, diffArp, realServerArpConfigProvider, type ArpState } from "./arpProvider";
export { ArpChangeError, ArpInterfaceError, ArpParseError, ArpVipConflictError, IpipModuleError, Ipv6DisabledError } from "./errors";
export { applyArpOps, arpBatchArgv, probeArp } from "./executor";
export {
  ARP_LOCK_FILE,
  ARP_STATE_DIRECTORY,
  TUNNEL_DEVICE,
  arpFiles,
  boundVips,
  desiredArp,
  desiredArpSysctls,
  isBound,
  keptVips,
  parseRecord,
  renderRecord,
  resolveInterfaces,
  unitName,
  vipConflicts,
  type ArpFile,
  type BoundVip,
  type DesiredArp,
  type LiveArp,
} from "./model";
export { arpPersistedFlags, desiredFiles, missingInterfaces, originalValues, planArp, planArpTeardown, type ArpOp, type ArpPersistedFlags } from "./plan";
export { arpProbeArgv, parseArpProbeOutput, parseDefaultRouteDevices, parseIpLinkOutput } from "./probe";
export { renderArpModulesLoadFile, renderArpSysctlFile, renderArpUnit } from "./contents";
export { describeArpOp, lockedArgv, renderArpOp } from "./render";
export { ARP_MODES, ArpInputsSchema, compareAddresses, type ArpInputs, type ArpMode } from "./schema";
