// What `pulumi up` stores as each resource's `__provider`: the SDK's own closure
// serializer run over our provider object, exactly as pulumi.dynamic.Resource does.
// It must be thin (a call into the installed package by name), never a copy of the
// implementation, and never carry a credential.

import * as pulumi from "@pulumi/pulumi";
import { thinProvider, type ResourceKind } from "../../../provider/dynamic/thinProvider";

async function serialise(kind: ResourceKind): Promise<string> {
  const provider = thinProvider(kind);
  const closure = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: false });
  return closure.text;
}

describe.each(["VirtualService", "RealServer"] as const)("the serialised %s provider", (kind) => {
  let text: string;
  beforeAll(async () => {
    text = await serialise(kind);
  });

  it("loads the implementation by package name", () => {
    expect(text).toContain('require("pulumi-lvs/provider/registry")');
    expect(text).toContain(JSON.stringify(kind));
  });

  it("is thin: no implementation code is copied into it", () => {
    for (const implementationDetail of ["ipvsadm", "flock", "parseSshConnection", "ssh2", "zod"]) {
      expect(text).not.toContain(implementationDetail);
    }
    expect(text.length).toBeLessThan(4000);
  });

  it("carries no credential", () => {
    expect(text).not.toMatch(/PRIVATE KEY|password|passphrase/i);
  });
});
