import { expect } from "chai";
import type { Contract } from "ethers";

import { deployDefault, ethers, MARKET, networkHelpers, setPrice, units, wad } from "../fixtures.js";
import { makeOrder, signOrder } from "../helpers/orders.js";
import { VaultLedger } from "../../sim/ledger.js";
import { defaultDeploymentConfig, marginOf, riskModelOf } from "../../sim/riskModel.js";

const model = riskModelOf(defaultDeploymentConfig());

/**
 * Alice buys 10 ETH at 2,300 from Bob with signed orders (10,000 USDC of collateral); ETH falls to 1,500, Carol
 * liquidates the close factor; ETH falls to 900 and Carol takes the rest, leaving a shortfall that the insurance
 * fund pays.
 */
async function crash() {
  const f = await deployDefault();
  const usdc = f.tokens.USDC;
  await (f.vault.connect(f.alice) as Contract).deposit(usdc, await units(usdc, 10_000), f.alice.address);
  await (f.vault.connect(f.bob) as Contract).deposit(usdc, await units(usdc, 1_000_000), f.bob.address);
  await (f.vault.connect(f.carol) as Contract).deposit(usdc, await units(usdc, 100_000), f.carol.address);
  await (usdc.connect(f.admin) as Contract).mint(f.admin.address, await units(usdc, 10_000));
  await (usdc.connect(f.admin) as Contract).approve(await f.insuranceFund.getAddress(), ethers.MaxUint256);
  await (f.insuranceFund.connect(f.admin) as Contract).deposit(await units(usdc, 10_000), f.admin.address);

  const buy = await makeOrder(f.alice.address, MARKET.ETH, wad(10), wad(2_300));
  const sell = await makeOrder(f.bob.address, MARKET.ETH, -wad(10), wad(2_300));
  await (f.settlement.connect(f.bob) as Contract).settleTrade(buy, await signOrder(f.settlement, f.alice, buy), sell, "0x", wad(10), wad(2_300));

  await setPrice(f.feeds.ETH, wad(1_500));
  await (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, wad(1));
  await setPrice(f.feeds.ETH, wad(900));
  await (f.vault.connect(f.carol) as Contract).liquidate(f.alice.address, wad(1));
  return f;
}

describe("sim/ledger", () => {
  it("rebuilds every account from the vault's events, liquidations and bad debt included", async () => {
    const f = await networkHelpers.loadFixture(crash);
    const tokens = await Promise.all(model.collaterals.map((c) => (f.tokens as Record<string, Contract>)[c.symbol]!.getAddress()));
    const ledger = new VaultLedger(model, f.vault.interface, tokens);
    ledger.apply(await ethers.provider.getLogs({ address: await f.vault.getAddress(), fromBlock: 0, toBlock: "latest" }));

    const fund = await f.insuranceFund.getAddress();
    const prices = await Promise.all(model.assets.map((_, a) => f.vault.price(a) as Promise<bigint>));
    for (const account of [f.alice.address, f.bob.address, f.carol.address, fund]) {
      const state = ledger.state(account);
      expect(state.cash, `cash of ${account}`).to.equal(await f.vault.cash(account));
      for (let m = 0; m < model.markets.length; m++) expect(state.positions[m]).to.equal(await f.vault.position(account, m));
      for (let c = 0; c < tokens.length; c++) expect(state.balances[c]).to.equal(await f.vault.collateralBalance(account, tokens[c]!));
      const onchain = await f.vault.accountMargin(account);
      const twin = marginOf(model, state, prices);
      expect([twin.equity, twin.maintenanceMargin, twin.isolatedMaintenanceMargin]).to.deep.equal([
        onchain.equity,
        onchain.maintenanceMargin,
        onchain.isolatedMaintenanceMargin,
      ]);
    }

    expect(ledger.liquidations.map((l) => [l.account, l.liquidator, l.fraction < wad(1)])).to.deep.equal([
      [f.alice.address.toLowerCase(), f.carol.address.toLowerCase(), true],
      [f.alice.address.toLowerCase(), f.carol.address.toLowerCase(), false],
    ]);
    expect(ledger.badDebts).to.have.length(1);
    const [settled] = ledger.badDebts;
    expect(settled!.account).to.equal(f.alice.address.toLowerCase());
    expect(settled!.unbacked).to.equal(0n);
    expect(settled!.shortfall > 0n).to.equal(true);
    expect(ledger.state(f.alice.address).positions.every((q) => q === 0n)).to.equal(true);
  });
});
