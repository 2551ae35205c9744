// Property tests over generated valid inputs: render → parse is the identity, rendering
// is deterministic (the same model gives the same bytes, whatever object it came in),
// and the real `keepalived -t` accepts what we render.

import fc from "fast-check";
import { realServerFile, serviceFile } from "../../../provider/keepalived/layout";
import { nodeView } from "../../../provider/keepalived/model";
import { parseNodeConfig, parseRealServerFile, parseVirtualServerFile } from "../../../provider/keepalived/parse";
import { renderNodeConfig, renderRealServerBlock, renderVirtualServerBlock } from "../../../provider/keepalived/render";
import { complaints, removeKeepalivedNamespace, validateWithKeepalived } from "../../support/keepalivedCheck";
import { pairInputs, serviceInputs } from "./arbitraries";
import { nodeTree, pairOf, realServerOf, serviceOf } from "./userInputs";

afterAll(removeKeepalivedNamespace);

const everyValue = { acceptedByKeepalived: false };
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe("render → parse", () => {
  it("a pair's node files read back as the node views", () => {
    fc.assert(
      fc.property(pairInputs(), (raw) => {
        const pair = pairOf(raw);
        for (const index of [0, 1] as const) expect(parseNodeConfig(renderNodeConfig(pair, index))).toEqual(nodeView(pair, index));
      }),
      { numRuns: 300 },
    );
  });

  it("service and real server files read back as their models", () => {
    fc.assert(
      fc.property(serviceInputs(everyValue), ({ service: rawService, realServers }) => {
        const { service, options } = serviceOf(rawService);
        expect(parseVirtualServerFile(renderVirtualServerBlock(service, options), serviceFile(service.key))).toEqual({ service, options });
        for (const raw of realServers) {
          const { destination, options: o } = realServerOf(raw);
          const file = realServerFile(destination.service, destination.address, destination.port);
          expect(parseRealServerFile(renderRealServerBlock(destination, o), file, service.key)).toEqual({ destination, options: o });
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("render is deterministic", () => {
  it("the same inputs give the same bytes, from a fresh parse or a deep copy", () => {
    fc.assert(
      fc.property(pairInputs(), serviceInputs(everyValue), (rawPair, { service: rawService, realServers }) => {
        const pair = pairOf(rawPair);
        const [s1, s2] = [serviceOf(rawService), serviceOf(clone(rawService))];
        const tree = nodeTree(pair, 0, [s1], realServers.map(realServerOf));
        expect(nodeTree(pairOf(clone(rawPair)), 0, [s2], realServers.map((r) => realServerOf(clone(r))))).toEqual(tree);
        expect(renderNodeConfig(clone(pair), 1)).toBe(renderNodeConfig(pair, 1));
        expect(renderVirtualServerBlock(clone(s1.service), clone(s1.options))).toBe(renderVirtualServerBlock(s1.service, s1.options));
      }),
      { numRuns: 200 },
    );
  });
});

describe("keepalived -t accepts generated trees", () => {
  // The pair as generated, scripts or none: global_defs always enables script security, which
  // the services' scripts (quorum_up/down, notify_up/down, MISC_CHECK) need.
  const accepted = { acceptedByKeepalived: true };
  it("both nodes' trees, with a generated service and its real servers", () => {
    fc.assert(
      fc.property(pairInputs(), serviceInputs(accepted), (rawPair, { service: rawService, realServers }) => {
        const pair = pairOf(rawPair);
        const service = serviceOf(rawService);
        const rs = realServers.map(realServerOf);
        for (const index of [0, 1] as const) {
          const check = validateWithKeepalived(nodeTree(pair, index, [service], rs));
          expect({ exitCode: check.exitCode, complaints: complaints(check) }).toEqual({ exitCode: 0, complaints: [] });
        }
      }),
      { numRuns: 80 },
    );
  });
});
