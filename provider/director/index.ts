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
export { missingOnHost, persistedFlags, planDirector, planDirectorTeardown, previousValues, vipConflict, withKeptVips, type DirectorOp, type PersistedFlags } from "./plan";
export { parseProbeOutput, probeArgv } from "./probe";
export { parseVipUnit, renderModulesLoadFile, renderSysctlFile, renderVipUnit } from "./contents";
export { describeOp, renderOp } from "./render";
export { DIRECTOR_MODES, DirectorInputsSchema, type DirectorInputs, type DirectorMode } from "./schema";
