// The input-field builders and check-failure formatting now live in provider/resource/
// (every resource uses them); re-exported here for the modules that still import them
// from the IPVS folder.

export { closestName, integerBetween, ipAddress, oneOf, strictObject, type Issue } from "../resource/inputFields";
export { formatCheckFailures } from "../resource/checkFailures";
