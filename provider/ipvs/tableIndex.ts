// Key → entry lookups in a table, indexed once per table object: a refresh or an up of N
// RealServers looks N entries up in one shared read, and a scan per lookup made that N²
// (12.6 s of CPU for 10,000 destinations, bench/parse-plan.js). Tables are values: parse
// and applyOps build new ones and never change them afterwards.

import { destinationKeyString, serviceKeyString, type IpvsDestination, type IpvsService, type IpvsTable } from "./model";

interface TableIndex {
  services: Map<string, IpvsService>;
  destinations: Map<string, IpvsDestination>;
}
const indexes = new WeakMap<IpvsTable, TableIndex>();

function indexOf(table: IpvsTable): TableIndex {
  let index = indexes.get(table);
  if (index === undefined) {
    // First one wins, as Array.prototype.find did (a table never holds a key twice).
    const services = new Map<string, IpvsService>();
    for (const s of table.services) if (!services.has(serviceKeyString(s.key))) services.set(serviceKeyString(s.key), s);
    const destinations = new Map<string, IpvsDestination>();
    for (const d of table.destinations) if (!destinations.has(destinationKeyString(d))) destinations.set(destinationKeyString(d), d);
    index = { services, destinations };
    indexes.set(table, index);
  }
  return index;
}

/** The table's service with this serviceKeyString. */
export function serviceByKey(table: IpvsTable, key: string): IpvsService | undefined {
  return indexOf(table).services.get(key);
}

/** The table's destination with this destinationKeyString. */
export function destinationByKey(table: IpvsTable, key: string): IpvsDestination | undefined {
  return indexOf(table).destinations.get(key);
}
