// Public API of the Director: the resource, its provider implementation, and the pure
// functions it is built from (exported for tests and for anyone planning by hand).

export { Director, type DirectorArgs, type DirectorVipArgs } from "./director";
export { DIRECTOR_TYPE, diffDirector, directorProvider, type DirectorState } from "./directorProvider";
export {
  DirectorChangeError,
  DirectorParseError,
  IpvsModuleError,
  IpvsadmInstallError,
  IpvsadmMissingError,
  MissingSysctlError,
  VipConflictError,
} from "./errors";
export {
  DIRECTOR_FILES,
  VIP_UNIT_NAME,
  desiredDirector,
  desiredSysctls,
  interfaceSysctl,
  type DesiredDirector,
  type LiveDirector,
  type SysctlMap,
} from "./model";
export { missingOnHost, persistedFlags, planDirector, planDirectorTeardown, previousValues, vipConflict, type DirectorOp, type PersistedFlags } from "./plan";
export { parseIpAddrOutput, parseProbeOutput, parseSysctlOutput, probeArgv } from "./probe";
export { describeOp, parseVipUnit, renderModulesLoadFile, renderOp, renderSysctlFile, renderVipUnit } from "./render";
export { DIRECTOR_MODES, DirectorInputsSchema, canonicalAddress, formatCheckFailures, type DirectorInputs, type DirectorMode } from "./schema";
