// Provider results reach the engine as a google.protobuf.Struct, which cannot hold
// `undefined` (the SDK's provider host fails with "Unexpected struct type").

import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { implementationOf } from "../../../provider/registry";
import { withoutUndefined } from "../../../provider/dynamic/wireSafe";

describe("withoutUndefined", () => {
  it("drops undefined properties at every depth, so Struct accepts the result", () => {
    const raw = { a: 1, b: undefined, c: { d: undefined, e: [1, undefined, { f: undefined, g: "x" }] }, h: null };
    expect(() => Struct.fromJavaScript(raw as never)).toThrow(/Unexpected struct type/);
    const safe = withoutUndefined(raw);
    expect(safe).toEqual({ a: 1, c: { e: [1, null, { g: "x" }] }, h: null });
    expect(Struct.fromJavaScript(safe as never).toJavaScript()).toEqual(safe);
  });

  it("a VirtualService on a KeepalivedPair checks to Struct-safe inputs (it has no connection)", async () => {
    const node = (host: string, state: string, priority: number) => ({ connection: { host, password: "pw", hostKey: "SHA256:" + "A".repeat(43) }, state, priority });
    const news = { keepalived: { instanceName: "VI_51", nodes: [node("10.0.0.11", "MASTER", 150), node("10.0.0.12", "BACKUP", 100)] }, address: "10.0.0.100", port: 80, scheduler: "rr" };
    const result = await implementationOf("VirtualService").check!({}, news);
    expect(result.failures ?? []).toEqual([]);
    expect(() => Struct.fromJavaScript(result.inputs as never)).not.toThrow();
    expect(result.inputs).not.toHaveProperty("connection");
  });
});
