import { expect } from "chai";
import { getAddress, type Address } from "viem";

import { eventsAbi } from "../../../client/src/abi/generated.js";
import { collectTouched, RISK_EVENTS } from "../../../keeper/src/indexer/indexer.js";
import type { VaultEvent } from "../../../keeper/src/store/types.js";

const A = getAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
const B = getAddress("0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc");
const event = (eventName: string, args: Record<string, unknown>) => ({ eventName, args }) as unknown as Pick<VaultEvent, "eventName" | "args">;

describe("keeper indexer: what an event changes", () => {
  it("a trade, a liquidation or bad debt touch only the accounts named by their account events (no full reload)", () => {
    const touched = new Set<Address>();
    const risk = [
      collectTouched(event("TradeSettled", { buyer: A, seller: B }), touched),
      collectTouched(event("PositionChanged", { account: A }), touched),
      collectTouched(event("CashChanged", { account: B }), touched),
      collectTouched(event("Liquidated", { account: A, liquidator: B }), touched),
      collectTouched(event("BadDebtSettled", { account: A }), touched),
      collectTouched(event("BadDebtRepaid", {}), touched),
      collectTouched(event("OrderFilled", { account: A }), touched),
    ];
    expect(risk).to.deep.equal([false, false, false, false, false, false, false]);
    expect([...touched]).to.deep.equal([A, B]);
  });

  it("a collateral transfer touches both sides; a deposit only its account (not the caller)", () => {
    const touched = new Set<Address>();
    collectTouched(event("CollateralTransferred", { from: A, to: B }), touched);
    expect([...touched]).to.deep.equal([A, B]);
    const deposit = new Set<Address>();
    collectTouched(event("Deposit", { account: A, caller: B }), deposit);
    expect([...deposit]).to.deep.equal([A]);
  });

  it("a listing, an oracle or a parameter change is a risk change", () => {
    for (const name of ["AssetOracleSet", "CorrelationSet", "CollateralSet", "MarketSet", "ImFactorSet"]) {
      expect(collectTouched(event(name, {}), new Set()), name).to.equal(true);
    }
  });

  it("names only events of the ABI", () => {
    const names = new Set(eventsAbi.filter((i) => i.type === "event").map((i) => i.name));
    for (const name of RISK_EVENTS) expect(names.has(name as never), name).to.equal(true);
  });
});
