// Compile-time proof that a hand-written type is exactly what a zod schema infers.
//
// The published declarations use hand-written types so that they never name zod: zod 4's
// own declarations do not compile in a project without esModuleInterop (TS1259), which is
// what Pulumi's TypeScript template made from April 2024 to March 2026. Asserting equality
// where each schema is defined keeps the schema the one source of truth all the same.

/**
 * `true` exactly when A and B are the same type: stricter than assignable both ways, so
 * `any` or a readonly modifier on one side makes them differ.
 *
 *     const _same: Equals<WrittenOut, z.output<typeof Schema>> = true; // fails to compile on drift
 */
export type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
