// Public API of the pure IPVS layer: model, parsers, planner, renderer and the IPVS half
// of the input schemas (provider/service/schema.ts holds the schemas `check` runs).
// Nothing here touches a host; the executor runs the argv these functions return.

export * from "./model";
export { IpvsParseError } from "./syntax";
export {
  IpvsListingMismatchError,
  KERNEL_RELEASE_COMMAND,
  READ_TABLE_COMMANDS,
  availableSchedulersCommand,
  mergeListings,
  parseAvailableSchedulers,
  parseIpvsadmSave,
  parseLiveTable,
} from "./parse";
export {
  CONNECTION_COUNTS_COMMAND,
  parseConnectionCounts,
  parseIpvsadmList,
  type ConnectionCounts,
  type IpvsListing,
  type ListedDestination,
} from "./listing";
export {
  DESTINATION_IDENTITY_FIELDS,
  IpvsOpRejectedError,
  SERVICE_IDENTITY_FIELDS,
  applyOps,
  changedDestinationFields,
  changedServiceFields,
  planDestination,
  planService,
  planTable,
  type IpvsOp,
} from "./plan";
export { renderOp, renderServiceSelector } from "./render";
export {
  checkRealServerFields,
  checkVirtualServiceFields,
  realServerInputsOf,
  realServerShape,
  serviceKeyOf,
  toIpvsDestination,
  toIpvsService,
  type RealServerInputs,
  type ServiceReference,
  type VirtualServiceInputs,
  virtualServiceInputsOf,
  virtualServiceShape,
} from "./schema";
