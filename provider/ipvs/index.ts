// Public API of the pure IPVS layer: model, parsers, planner, renderer and input schemas.
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
  RealServerInputsSchema,
  VirtualServiceInputsSchema,
  serviceKeyOf,
  toIpvsDestination,
  toIpvsService,
  type RealServerInputs,
  type ServiceReference,
  type VirtualServiceInputs,
} from "./schema";
export { formatCheckFailures } from "./inputFields";
