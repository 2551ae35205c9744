// Drive a resource implementation the way the engine does (check → create, check → diff →
// update, read, delete), in-process, so integration tests can say "up", "refresh",
// "preview" and "destroy" on real hosts. The engine-path tests run the same
// implementations in the SDK's own dynamic-provider host.

import type * as pulumi from "@pulumi/pulumi";

export interface ProviderUnderTest {
  check(olds: any, news: any): Promise<pulumi.dynamic.CheckResult>;
  diff(id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: any): Promise<pulumi.dynamic.CreateResult>;
  read(id: string, props: any): Promise<pulumi.dynamic.ReadResult>;
  update(id: string, olds: any, news: any): Promise<pulumi.dynamic.UpdateResult>;
  delete(id: string, props: any): Promise<void>;
}

export interface Deployed {
  id: string;
  state: Record<string, any>;
}

/** check, failing loudly with every reported failure. */
export async function checked(provider: ProviderUnderTest, news: Record<string, unknown>, olds: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const result = await provider.check(olds, news);
  if (result.failures && result.failures.length > 0) {
    throw new Error(`check failed:\n${result.failures.map((f) => `  ${f.property}: ${f.reason}`).join("\n")}`);
  }
  return result.inputs as Record<string, any>;
}

/** `pulumi up` of a new resource: check, create. */
export async function up(provider: ProviderUnderTest, news: Record<string, unknown>): Promise<Deployed> {
  const inputs = await checked(provider, news);
  const { id, outs } = await provider.create(inputs);
  return { id, state: outs as Record<string, any> };
}

/** `pulumi up` of a changed resource: check, diff, update (when diff says so). */
export async function upChanged(provider: ProviderUnderTest, deployed: Deployed, news: Record<string, unknown>): Promise<{ deployed: Deployed; diff: pulumi.dynamic.DiffResult }> {
  const inputs = await checked(provider, news, deployed.state);
  const diff = await provider.diff(deployed.id, deployed.state, inputs);
  if (diff.replaces && diff.replaces.length > 0) throw new Error(`unexpected replacement of ${diff.replaces.join(", ")}`);
  if (!diff.changes) return { deployed, diff };
  const { outs } = await provider.update(deployed.id, deployed.state, inputs);
  return { deployed: { id: deployed.id, state: outs as Record<string, any> }, diff };
}

/** `pulumi refresh`: read; undefined when the resource is gone. */
export async function refresh(provider: ProviderUnderTest, deployed: Deployed): Promise<pulumi.dynamic.ReadResult | undefined> {
  const result = await provider.read(deployed.id, deployed.state);
  return result.id ? result : undefined;
}

/** `pulumi preview` after a refresh: the diff of the refreshed state against the program. */
export async function preview(provider: ProviderUnderTest, refreshed: pulumi.dynamic.ReadResult, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
  const inputs = await checked(provider, news, refreshed.props ?? {});
  return provider.diff(refreshed.id!, refreshed.props ?? {}, inputs);
}

/**
 * Like Promise.all, but rejects (with the first failure) only once every promise has
 * settled: a teardown that follows never races a create still in flight.
 */
export async function allSettledOrThrow<T extends readonly unknown[]>(promises: readonly [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * Creates independent resources at once, as the engine does (a KeepalivedPair's services
 * then share one generation, a director's table one batch), each pushed onto `stack` as soon
 * as it exists, so that a teardown finds every one that was made.
 */
export function upAll(stack: Array<[ProviderUnderTest, Deployed]>, provider: ProviderUnderTest, inputs: ReadonlyArray<Record<string, unknown>>): Promise<Deployed[]> {
  return allSettledOrThrow(
    inputs.map(async (raw) => {
      const deployed = await up(provider, raw);
      stack.push([provider, deployed]);
      return deployed;
    }),
  );
}
