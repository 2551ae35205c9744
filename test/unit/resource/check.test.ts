// check at preview: values from resources not created yet arrive as the engine's
// "unknown" sentinel, and must not be reported as invalid.

import { UNKNOWN_VALUE, unknownPaths } from "../../../provider/resource/check";
import { virtualServiceProvider } from "../../../provider/service/virtualServiceRouter";
import * as pulumiRpc from "@pulumi/pulumi/runtime/rpc";

const connection = {
  host: "192.0.2.10",
  privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key\n-----END OPENSSH PRIVATE KEY-----\n",
  hostKey: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
};

it("uses the engine's own unknown sentinel", () => {
  expect(UNKNOWN_VALUE).toBe(pulumiRpc.unknownValue);
});

it("finds unknown values at any depth", () => {
  expect(unknownPaths({ a: UNKNOWN_VALUE, b: { c: [1, UNKNOWN_VALUE] }, d: 2 })).toEqual(["a", "b.c[1]"]);
});

it("accepts unknown values at preview but still reports what is known to be wrong", async () => {
  const unknownHost = await virtualServiceProvider.check({}, {
    connection: { ...connection, host: UNKNOWN_VALUE, privateKey: UNKNOWN_VALUE }, address: UNKNOWN_VALUE, port: 80,
  });
  expect(unknownHost.failures ?? []).toEqual([]);
  expect(unknownHost.inputs?.["address"]).toBe(UNKNOWN_VALUE);

  const stillWrong = await virtualServiceProvider.check({}, { connection: { ...connection, host: UNKNOWN_VALUE }, address: UNKNOWN_VALUE, port: 70000 });
  expect((stillWrong.failures ?? []).map((f) => f.property)).toEqual(["port"]);
});
