// How the routers tell the two directors apart, and compare properties for `diff`.

/** Inputs or state whose director is a KeepalivedPair (they carry its target as `keepalived`). */
export function onKeepalivedPair(v: object): boolean {
  const target = (v as { keepalived?: unknown }).keepalived;
  return target !== undefined && target !== null;
}

/** Equal as Pulumi sees them: an absent property and a null one are the same. */
export function unchanged(old: unknown, now: unknown): boolean {
  return JSON.stringify(old ?? null) === JSON.stringify(now ?? null);
}
