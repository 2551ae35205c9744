// Which node a pair's change reaches first (model.ts): the BACKUP, so the MASTER keeps
// serving; for an update that makes the adverts more frequent, the MASTER, so the BACKUP
// never runs the shorter interval while the MASTER still advertises at the longer one.

import { applyOrder, updateOrder } from "../../../provider/keepalived/model";

const nodes = [
  { state: "MASTER" as const, priority: 150 },
  { state: "BACKUP" as const, priority: 100 },
];

describe("applyOrder", () => {
  it("puts the BACKUP first, whichever index it has", () => {
    expect(applyOrder(nodes)).toEqual([1, 0]);
    expect(applyOrder([nodes[1]!, nodes[0]!])).toEqual([0, 1]);
  });

  it("with both nodes BACKUP (nopreempt), the lower priority first", () => {
    expect(applyOrder([{ state: "BACKUP", priority: 150 }, { state: "BACKUP", priority: 100 }])).toEqual([1, 0]);
  });
});

describe("updateOrder", () => {
  it("MASTER first when the adverts get more frequent (1 s → 0.1 s)", () => {
    expect(updateOrder({ advertInt: 1 }, { advertInt: 0.1, nodes })).toEqual([0, 1]);
  });

  it("BACKUP first when they get less frequent or stay", () => {
    expect(updateOrder({ advertInt: 0.1 }, { advertInt: 1, nodes })).toEqual([1, 0]);
    expect(updateOrder({ advertInt: 1 }, { advertInt: 1, nodes })).toEqual([1, 0]);
  });
});
