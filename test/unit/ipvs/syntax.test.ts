// The hand-written tokenizer and host:port reader that every ipvsadm output goes through.

import fc from "fast-check";
import { parseHostPort, wordsOf, type Fail } from "../../../provider/ipvs/syntax";

const fail: Fail = (reason) => {
  throw new Error(reason);
};

describe("wordsOf", () => {
  it("splits as split(/\\s+/) does, for any trimmed line", () => {
    const char = fc.constantFrom("a", "-", ":", "1", " ", "\t", "\v", "\f", "\r", "\u00a0", "\u2003", "\u3000", "\ufeff", "é");
    fc.assert(
      fc.property(fc.array(char, { minLength: 1, maxLength: 40 }), (chars) => {
        const line = chars.join("").trim();
        fc.pre(line !== "");
        expect(wordsOf(line)).toEqual(line.split(/\s+/));
      }),
      { numRuns: 2000 },
    );
  });

  it("reads a line of ipvsadm -S and a row of ipvsadm -L", () => {
    expect(wordsOf("-a -t 10.0.0.1:80 -r 10.0.1.5:80 -g -w 1")).toEqual(["-a", "-t", "10.0.0.1:80", "-r", "10.0.1.5:80", "-g", "-w", "1"]);
    expect(wordsOf("->  10.0.1.5:80                Route   1      0          0")).toEqual(["->", "10.0.1.5:80", "Route", "1", "0", "0"]);
  });
});

describe("parseHostPort", () => {
  it("reads plain and bracketed names, with and without a port", () => {
    expect(parseHostPort("10.0.0.1:80", 0, fail)).toEqual({ address: "10.0.0.1", port: 80 });
    expect(parseHostPort("10.0.0.1", 443, fail)).toEqual({ address: "10.0.0.1", port: 443 });
    expect(parseHostPort("[FD00:0::1]:8080", 0, fail)).toEqual({ address: "fd00::1", port: 8080 });
    expect(parseHostPort("[fd00::1]", 53, fail)).toEqual({ address: "fd00::1", port: 53 });
  });

  it("refuses what is not an address[:port]", () => {
    for (const text of ["[fd00::1", "fd00::1]:80", "[10.0.0.1:80", "10.0.0.1:http", "10.0.0.1:65536", "host.example:80", ""]) {
      expect(() => parseHostPort(text, 0, fail)).toThrow();
    }
  });
});
