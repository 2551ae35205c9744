// Key → entry lookups in a table, indexed once per table object: a refresh or an up of N
// RealServers looks N entries up in one shared read, and a scan per lookup made that N²
// (12.6 s of CPU for 10,000 destinations, bench/parse-plan.js). Tables are values: parse
// and applyOps build new ones and never change them afterwards.

import { destinationKeyStringOfRuns, serviceKeyString, type IpvsDestination, type IpvsService, type IpvsTable } from "./model";

interface TableIndex {
  services: Map<string, IpvsService>;
  destinations: Map<string, IpvsDestination>;
}
const indexes = new WeakMap<IpvsTable, TableIndex>();

/** Entries by key, each keyed once; the first one wins, as Array.prototype.find did (a table never holds a key twice). */
function firstByKey<T>(entries: readonly T[], keyOf: (entry: T) => string): Map<string, T> {
  const byKey = new Map<string, T>();
  for (const entry of entries) {
    const key = keyOf(entry);
    if (!byKey.has(key)) byKey.set(key, entry);
  }
  return byKey;
}

function indexOf(table: IpvsTable): TableIndex {
  let index = indexes.get(table);
  if (index === undefined) {
    // Keyed by runs of one service, as normalised (key-sorted) tables list them; any order gives the same keys.
    index = { services: firstByKey(table.services, (s) => serviceKeyString(s.key)), destinations: firstByKey(table.destinations, destinationKeyStringOfRuns()) };
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
