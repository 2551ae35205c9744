// zod issues → the `{ property, reason }[]` a dynamic provider's `check` returns, for every
// resource: one failure per problem, one per unknown property.

import type { z } from "zod";
import { propertyPath, type CheckFailure } from "./check";
import { isSecretPath } from "./secretFields";

/**
 * A message about a secret property without the "(got …)" that zod-style messages use to
 * show the value: the builders in inputFields.ts leave it out already (see `received`);
 * this also covers a schema that builds its own message. The property and what to do are enough.
 */
function withoutReceivedValue(message: string): string {
  return message.replace(/\s*\((got|received)\b(?:[^()]|\([^()]*\))*\)/gi, "");
}

/** zod issues as Pulumi check failures, one per problem (one per unknown property). */
export function formatCheckFailures(issues: readonly z.core.$ZodIssue[]): CheckFailure[] {
  return issues.flatMap((i): CheckFailure[] => {
    if (i.code === "unrecognized_keys") {
      // Key names are the user's spelling of a property, never its value.
      const reasons = i.message.split("\n");
      return i.keys.map((key, n) => ({ property: propertyPath([...i.path, key]), reason: reasons[n] ?? i.message }));
    }
    return [{ property: propertyPath(i.path), reason: isSecretPath(i.path) ? withoutReceivedValue(i.message) : i.message }];
  });
}
