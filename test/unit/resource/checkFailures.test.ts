// Check messages name the property and the fix, and echo nothing of a secret: a mistyped
// password is still a password, and check failures end up in CI logs.

import { z } from "zod";
import { formatCheckFailures } from "../../../provider/resource/checkFailures";
import { integerBetween, ipAddress, oneOf, strictObject } from "../../../provider/resource/inputFields";
import { isSecretPath } from "../../../provider/resource/secretFields";
import { KeepalivedPairInputsSchema } from "../../../provider/keepalived/schema";
import { VirtualServiceInputsSchema } from "../../../provider/service/schema";

const SECRET = "hunter2pw";

function failuresOf(schema: z.ZodType, input: unknown) {
  const result = schema.safeParse(input);
  return result.success ? [] : formatCheckFailures(result.error.issues);
}

const MINIMAL_PAIR = {
  nodes: [
    { connection: { host: "h1" }, priority: 150 },
    { connection: { host: "h2" }, priority: 100 },
  ],
  interface: "eth1",
  virtualRouterId: 51,
  vips: ["10.0.0.100"],
};

describe("a secret-holding property's value is never echoed", () => {
  it("KeepalivedPair auth given as a bare string (the password itself)", () => {
    const failures = failuresOf(KeepalivedPairInputsSchema, { ...MINIMAL_PAIR, auth: SECRET });
    expect(failures).toEqual([{ property: "auth", reason: "must be an object" }]);
    expect(JSON.stringify(failures)).not.toContain(SECRET);
  });

  it("a VirtualService's keepalived target (it holds the nodes' connections)", () => {
    const failures = failuresOf(VirtualServiceInputsSchema, { address: "10.0.0.1", port: 80, keepalived: SECRET });
    expect(failures).toEqual([{ property: "keepalived", reason: "must be an object" }]);
  });

  it.each<[string, z.ZodType, unknown]>([
    ["an object", z.object({ password: strictObject({ a: z.string() }) }), { password: SECRET }],
    ["an integer", z.object({ privateKeyPassphrase: integerBetween(1, 8, "set it between 1 and 8") }), { privateKeyPassphrase: SECRET }],
    ["one of a list", z.object({ auth: z.object({ type: oneOf(["PASS", "AH"], "auth type") }) }), { auth: { type: SECRET } }],
    ["an address", z.object({ password: ipAddress }), { password: SECRET }],
    ["a hand-written message", z.object({ password: z.string({ error: (iss) => `must be a string (got ${JSON.stringify(iss.input)})` }) }), { password: 12345678 }],
  ])("%s: the property and the fix, not the value", (_name, schema, input) => {
    const [failure, ...rest] = failuresOf(schema, input);
    expect(rest).toEqual([]);
    expect(failure!.property).toMatch(/^(password|privateKeyPassphrase|auth\.type)$/);
    expect(failure!.reason).not.toMatch(/hunter2|12345678|\(got/);
    expect(failure!.reason).toMatch(/^(must be|unknown|is not)/);
  });

  it("other properties still show what they received, which is what makes the message useful", () => {
    expect(failuresOf(z.object({ weight: integerBetween(0, 10, "set weight between 0 and 10") }), { weight: -1 })).toEqual([
      { property: "weight", reason: "must be an integer 0..10 (got -1); set weight between 0 and 10" },
    ]);
  });
});

it.each<[PropertyKey[], boolean]>([
  [["connection", "password"], true],
  [["keepalivedPair", "nodes", 0, "connection"], true],
  [["auth", "password"], true],
  [["proxy", "privateKey"], true],
  [["weight"], false],
  [["service", "address"], false],
  [["authority"], false],
])("isSecretPath(%j) = %s", (path, expected) => {
  expect(isSecretPath(path)).toBe(expected);
});
