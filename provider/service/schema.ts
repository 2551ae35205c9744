// The inputs `check` validates for a VirtualService and a RealServer: the IPVS fields
// (provider/ipvs/schema.ts) and keepalived's own options (provider/keepalived/
// serviceSchema.ts) in one strict object, so that a property of the wrong director is
// refused by name, and every problem of either half is reported at once. The director is
// a plain one (`connection`) or a KeepalivedPair (`keepalived`), never both.

import { strictObject, type Issue } from "../resource/inputFields";
import {
  checkRealServerFields,
  checkVirtualServiceFields,
  familyOfKeyFields,
  realServerInputsOf,
  realServerShape,
  virtualServiceInputsOf,
  virtualServiceShape,
  type RealServerInputs,
  type VirtualServiceInputs,
} from "../ipvs/schema";
import type { KeepalivedRealServerInputs, KeepalivedVirtualServiceInputs } from "../keepalived/serviceProviders";
import {
  KEEPALIVED_REAL_SERVER_ONLY,
  KEEPALIVED_SERVICE_ONLY,
  KeepalivedTargetSchema,
  checkDirectorChoice,
  checkKeepalivedRealServerOptions,
  checkKeepalivedServiceOptions,
  keepalivedRealServerShape,
  keepalivedServiceShape,
} from "../keepalived/serviceSchema";

export { formatCheckFailures } from "../resource/checkFailures";

/** A checked VirtualService: on a plain director, or (with `keepalived`) on a KeepalivedPair. */
export type RoutedVirtualServiceInputs = VirtualServiceInputs | KeepalivedVirtualServiceInputs;
/** A checked RealServer: on a plain director, or (with `keepalived`) on a KeepalivedPair. */
export type RoutedRealServerInputs = RealServerInputs | KeepalivedRealServerInputs;

/** The listed properties of `v` that are set (so state never carries `undefined`s). */
function definedOnly(v: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => v[k] !== undefined).map((k) => [k, v[k]]));
}

function issuesOf(ctx: { addIssue(issue: { code: "custom"; path: PropertyKey[]; message: string }): void }): Issue {
  return (path, message) => ctx.addIssue({ code: "custom", path, message });
}

export const VirtualServiceInputsSchema = strictObject({
  ...virtualServiceShape,
  keepalived: KeepalivedTargetSchema.optional(),
  ...keepalivedServiceShape,
})
  .superRefine(
    (v, ctx) => {
      if (typeof v !== "object" || v === null) return;
      const issue = issuesOf(ctx);
      checkDirectorChoice(v, KEEPALIVED_SERVICE_ONLY, issue, "VirtualService");
      checkVirtualServiceFields(v, issue);
      checkKeepalivedServiceOptions(v, familyOfKeyFields(v), issue);
    },
    { when: () => true },
  )
  .transform((v): RoutedVirtualServiceInputs => ({ ...virtualServiceInputsOf(v), ...definedOnly(v, ["keepalived", ...KEEPALIVED_SERVICE_ONLY]) }));

export const RealServerInputsSchema = strictObject({
  ...realServerShape,
  keepalived: KeepalivedTargetSchema.optional(),
  ...keepalivedRealServerShape,
})
  .superRefine(
    (v, ctx) => {
      if (typeof v !== "object" || v === null) return;
      const issue = issuesOf(ctx);
      checkDirectorChoice(v, KEEPALIVED_REAL_SERVER_ONLY, issue, "RealServer");
      checkKeepalivedRealServerOptions(v, issue);
      if (v.keepalived !== undefined && v.drain !== undefined)
        issue(["drain"], "is not supported on a KeepalivedPair yet (keepalived owns the weights there); remove drain, or set weight 0 in one update and delete in the next");
      checkRealServerFields(v, issue);
    },
    { when: () => true },
  )
  .transform((v): RoutedRealServerInputs => ({ ...realServerInputsOf(v), ...definedOnly(v, ["keepalived", ...KEEPALIVED_REAL_SERVER_ONLY]) }));
