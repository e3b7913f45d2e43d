import { expect } from "chai";
import type { Contract } from "ethers";

import { accountMargin, pairIndex, type Portfolio, type RiskParams } from "../../client/src/margin/index.js";
import { ASSET, defaultConfig, deployDefault, ethers, MARKET, networkHelpers, setPrice, units, wad } from "../fixtures.js";

/** Alice: USDC, WBTC and WETH collateral, short BTC and long SOL perps, borrowed cash: E = 14,900 > IM = 11,096. */
async function mixedPortfolio() {
  const f = await deployDefault();
  const v = f.vault.connect(f.alice) as Contract;
  await v.deposit(f.tokens.USDC, await units(f.tokens.USDC, 20_000), f.alice.address);
  await v.deposit(f.tokens.WBTC, await units(f.tokens.WBTC, 1), f.alice.address);
  await v.deposit(f.tokens.WETH, await units(f.tokens.WETH, 5), f.alice.address);
  await f.vault.harnessSetPosition(f.alice.address, MARKET.BTC, wad("-0.8"));
  await f.vault.harnessSetPosition(f.alice.address, MARKET.SOL, wad(150));
  await f.vault.harnessSetCash(f.alice.address, wad(-40_000));
  return f;
}

/** The same account as the keeper's TypeScript twin sees it, at the given prices. */
function twin(prices: bigint[]) {
  const config = defaultConfig();
  const n = config.assets.length;
  const rho = new Array<bigint>(pairIndex(0, n - 1) + n - 1).fill(0n);
  const id = (symbol: string) => config.assets.findIndex((a) => a.symbol === symbol);
  for (const c of config.correlations) rho[pairIndex(Math.min(id(c.a), id(c.b)), Math.max(id(c.a), id(c.b)))] = c.rho;
  const params: RiskParams = { scan: config.assets.map((a) => a.scan), rho, imFactor: config.imFactor };
  const portfolio: Portfolio = {
    cash: wad(-40_000),
    collateral: [
      { asset: ASSET.USD, haircut: 0n, balance: wad(20_000) },
      { asset: ASSET.BTC, haircut: wad("0.02"), balance: wad(1) },
      { asset: ASSET.ETH, haircut: wad("0.02"), balance: wad(5) },
    ],
    positions: [
      { asset: ASSET.BTC, k: wad("0.005"), size: wad("-0.8") },
      { asset: ASSET.SOL, k: wad("0.01"), size: wad(150) },
    ],
  };
  return accountMargin(portfolio, params, prices);
}

const PRICES = [wad(1), wad(42_000), wad(2_300), wad(100), wad(15), wad("0.09")];

describe("MarginVault.accountMargin", () => {
  it("equals the keeper's twin field for field on a multi-collateral portfolio", async () => {
    const { vault, alice } = await networkHelpers.loadFixture(mixedPortfolio);
    const onchain = await vault.accountMargin(alice.address);
    const expected = twin(PRICES);
    expect(onchain.equity).to.equal(expected.equity);
    expect(onchain.kLow).to.equal(expected.kLow);
    expect(onchain.kMedium).to.equal(expected.kMedium);
    expect(onchain.kHigh).to.equal(expected.kHigh);
    expect(onchain.k).to.equal(expected.k);
    expect(onchain.addOns).to.equal(expected.addOns);
    expect(onchain.maintenanceMargin).to.equal(expected.maintenanceMargin);
    expect(onchain.initialMargin).to.equal(expected.initialMargin);
    expect(onchain.isolatedMaintenanceMargin).to.equal(expected.isolatedMaintenanceMargin);
    expect(onchain.touchedAssets).to.equal(expected.touched);
    expect(Array.from(onchain.exposures)).to.deep.equal(expected.exposures);
    expect(Array.from(onchain.weightedSensitivities)).to.deep.equal(expected.weightedSensitivities);
    // The hedge (WBTC against a BTC short) frees capital: portfolio MM is well below isolated MM.
    expect(onchain.maintenanceMargin < onchain.isolatedMaintenanceMargin).to.equal(true);
  });

  it("follows the oracle: a SOL crash makes the account liquidatable", async () => {
    const { vault, feeds, alice } = await networkHelpers.loadFixture(mixedPortfolio);
    expect(await vault.isLiquidatable(alice.address)).to.equal(false);
    await setPrice(feeds.SOL, wad(20));
    const prices = [...PRICES];
    prices[ASSET.SOL] = wad(20);
    const expected = twin(prices);
    expect(expected.equity < expected.maintenanceMargin).to.equal(true);
    expect(await vault.isLiquidatable(alice.address)).to.equal(true);
    expect((await vault.accountMargin(alice.address)).equity).to.equal(expected.equity);
  });

  it("returns zeros for an empty account without reading any feed", async () => {
    const { vault, feeds, carol } = await networkHelpers.loadFixture(deployDefault);
    await feeds.BTC.setAnswer(0);
    const m = await vault.accountMargin(carol.address);
    expect([m.equity, m.maintenanceMargin, m.initialMargin, m.touchedAssets]).to.deep.equal([0n, 0n, 0n, 0n]);
    expect(await vault.isLiquidatable(carol.address)).to.equal(false);
  });
});

describe("MarginVault oracle checks", () => {
  it("reverts margin computations on a stale feed, and a withdrawal with them", async () => {
    const { vault, feeds, tokens, alice } = await networkHelpers.loadFixture(mixedPortfolio);
    // BTC's heartbeat is one hour: refresh every other feed Alice needs and let BTC go stale.
    await networkHelpers.time.increase(3601);
    await setPrice(feeds.USD, wad(1));
    await setPrice(feeds.ETH, wad(2_300));
    await setPrice(feeds.SOL, wad(100));
    await expect(vault.accountMargin(alice.address)).to.be.revertedWithCustomError(vault, "OracleAnswerStale");
    await expect((vault.connect(alice) as Contract).withdraw(tokens.USDC, 1n, alice.address, alice.address))
      .to.be.revertedWithCustomError(vault, "OracleAnswerStale");
    await setPrice(feeds.BTC, wad(42_000));
    await (vault.connect(alice) as Contract).withdraw(tokens.USDC, 1n, alice.address, alice.address);
  });

  it("reverts on a price above the asset's maximum", async () => {
    const { vault, feeds, alice } = await networkHelpers.loadFixture(mixedPortfolio);
    await setPrice(feeds.BTC, wad(1_000_001));
    await expect(vault.isLiquidatable(alice.address))
      .to.be.revertedWithCustomError(vault, "OraclePriceAboveMax")
      .withArgs(ASSET.BTC, wad(1_000_001), wad(1_000_000));
  });

  it("reverts while the L2 sequencer is down or inside its grace period", async () => {
    const { vault, alice } = await networkHelpers.loadFixture(mixedPortfolio);
    const uptime: Contract = await ethers.deployContract("MockAggregator", [0, 0n, "L2 sequencer uptime"]);
    await vault.setSequencerFeed(uptime, 3600);
    await uptime.setAnswer(1);
    await expect(vault.accountMargin(alice.address)).to.be.revertedWithCustomError(vault, "SequencerDown");
    await uptime.setAnswer(0);
    await expect(vault.accountMargin(alice.address)).to.be.revertedWithCustomError(vault, "SequencerGracePeriodNotOver");
    await vault.setSequencerFeed(ethers.ZeroAddress, 0);
    expect((await vault.accountMargin(alice.address)).equity).to.equal(twin(PRICES).equity);
  });
});
