// The engine's property encoding, as the engine-path harness reproduces it: what goes on
// the wire to a provider that cannot take secrets, what comes back, and how the engine
// puts the secret marks back before anything reaches the state.

import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import {
  UNKNOWN,
  annotateSecrets,
  changedProperties,
  checkpointView,
  containsSecrets,
  isSecret,
  markSecretOutputs,
  marshalProperties,
  removeSecrets,
  secret,
  unmarshalProperties,
  type PropertyMap,
} from "../../support/engine/wire";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";

/** Through the bytes the gRPC channel carries, and back. */
function overTheWire(struct: Struct): PropertyMap {
  return unmarshalProperties(Struct.deserializeBinary(struct.serializeBinary()), { rejectUnknowns: false, label: "test" });
}

const keep = { keepSecrets: true, keepUnknowns: true };
const strip = { keepSecrets: false, keepUnknowns: false };

describe("the secret and unknown encodings", () => {
  it("are the SDK's and the Go engine's (sdk/go/common/resource/properties.go)", () => {
    expect(secret("x")).toEqual({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "x" });
    expect(UNKNOWN).toBe("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
  });

  it("a secret of undefined is a secret of null, as the SDK sends it", () => {
    expect(secret(undefined)).toEqual(secret(null));
  });
});

describe("marshalProperties → bytes → unmarshalProperties", () => {
  const props: PropertyMap = {
    text: "a b 'c' $(d) `e`\n",
    number: 65535,
    fraction: 0.5,
    flag: false,
    nothing: null,
    list: [1, "two", { three: [3] }],
    nested: { deeper: { deepest: "x" } },
    connection: { host: "127.0.0.1", port: 2202, privateKey: secret(KEY) },
    whole: secret({ host: "h", privateKey: KEY }),
  };

  it("keeps every value and every secret when the provider accepts secrets", () => {
    expect(overTheWire(marshalProperties(props, keep))).toEqual(props);
  });

  it("sends what a secret wraps when the provider cannot take secrets", () => {
    const sent = overTheWire(marshalProperties(props, strip));
    expect(containsSecrets(sent)).toBe(false);
    expect(sent).toEqual(removeSecrets(props));
    expect(sent["connection"]).toEqual({ host: "127.0.0.1", port: 2202, privateKey: KEY });
  });

  it("leaves out undefined properties, as the SDK does", () => {
    expect(overTheWire(marshalProperties({ a: 1, b: undefined, c: { d: undefined, e: 2 } }, keep))).toEqual({ a: 1, c: { e: 2 } });
  });

  it("sends unknowns only in previews, and leaves them out otherwise (also inside secrets and lists)", () => {
    const withUnknowns: PropertyMap = { known: 1, unknown: UNKNOWN, inSecret: secret(UNKNOWN), list: [1, UNKNOWN, 2], obj: { u: UNKNOWN, k: "k" } };
    expect(overTheWire(marshalProperties(withUnknowns, keep))).toEqual(withUnknowns);
    expect(overTheWire(marshalProperties(withUnknowns, strip))).toEqual({ known: 1, list: [1, 2], obj: { k: "k" } });
  });

  it("rejects unknowns in a response outside a preview, naming where they are", () => {
    const struct = marshalProperties({ ok: 1, deep: { list: [UNKNOWN] } }, keep);
    expect(() => unmarshalProperties(struct, { rejectUnknowns: true, label: "Create" })).toThrow(/Create: .*unknown.*deep\.list\[0\]/);
    expect(unmarshalProperties(struct, { rejectUnknowns: false, label: "Check" })).toEqual({ ok: 1, deep: { list: [UNKNOWN] } });
  });

  it("reads a missing Struct as no properties", () => {
    expect(unmarshalProperties(undefined, { rejectUnknowns: true, label: "Read" })).toEqual({});
  });
});

describe("annotateSecrets (the engine's bookkeeping for providers that cannot take secrets)", () => {
  it("walks objects present on both sides, so one secret field does not taint its siblings", () => {
    const ins = { connection: { host: "h", privateKey: secret(KEY) } };
    const outs = { connection: { host: "h", privateKey: KEY, port: 22 }, serviceKey: "tcp:10.0.0.1:80" };
    expect(annotateSecrets(outs, ins)).toEqual({ connection: { host: "h", privateKey: secret(KEY), port: 22 }, serviceKey: "tcp:10.0.0.1:80" });
  });

  it("makes an output secret whole when its input was a secret object", () => {
    const ins = { connection: secret({ host: "h", privateKey: KEY }) };
    expect(annotateSecrets({ connection: { host: "h", privateKey: KEY } }, ins)).toEqual({ connection: secret({ host: "h", privateKey: KEY }) });
  });

  it("makes a whole array secret when any element of the input was", () => {
    expect(annotateSecrets({ keys: ["a", "b"] }, { keys: ["a", secret("b")] })).toEqual({ keys: secret(["a", "b"]) });
  });

  it("leaves outputs with no matching secret input alone, and does not change its arguments", () => {
    const outs = { weight: 5, connection: { host: "h" } };
    const ins = { weight: 5, other: secret("s") };
    expect(annotateSecrets(outs, ins)).toEqual(outs);
    expect(outs).toEqual({ weight: 5, connection: { host: "h" } });
  });

  it("keeps an output the provider already returned as a secret", () => {
    expect(annotateSecrets({ k: secret("v") }, { k: secret("v") })).toEqual({ k: secret("v") });
  });
});

describe("markSecretOutputs (additionalSecretOutputs)", () => {
  it("wraps the named outputs once, and ignores names that are not there", () => {
    const outs = { connection: { host: "h", privateKey: secret(KEY) }, port: 80, already: secret(1) };
    const marked = markSecretOutputs(outs, ["connection", "already", "missing"]);
    expect(isSecret(marked["connection"])).toBe(true);
    expect(marked["already"]).toEqual(secret(1));
    expect(marked["port"]).toBe(80);
    expect("missing" in marked).toBe(false);
  });
});

describe("checkpointView", () => {
  it("encrypts every secret, at any depth, and leaves the rest readable", () => {
    const view = JSON.stringify(checkpointView({ connection: { host: "h", privateKey: secret(KEY) }, list: [secret("p4ss")], port: 80 }));
    expect(view).not.toContain("OPENSSH PRIVATE KEY");
    expect(view).not.toContain("p4ss");
    expect(view).toContain('"host":"h"');
    expect(view).toContain('"port":80');
    expect(view).toContain('"ciphertext"');
  });

  it("shows a secret the engine forgot to mark in the clear (what the state tests look for)", () => {
    expect(JSON.stringify(checkpointView({ connection: { privateKey: KEY } }))).toContain("OPENSSH PRIVATE KEY");
  });
});

describe("changedProperties", () => {
  it("names exactly the top-level properties whose values differ, whatever the key order", () => {
    const olds = { weight: 5, service: { protocol: "tcp", port: 80 }, connection: secret({ host: "h" }), gone: 1 };
    const news = { service: { port: 80, protocol: "tcp" }, weight: 7, connection: secret({ host: "h" }), added: true };
    expect(changedProperties(olds, news)).toEqual(["added", "gone", "weight"]);
    expect(changedProperties(olds, { ...olds })).toEqual([]);
  });
});
