import { expect } from "chai";
import type { Contract } from "ethers";
import { createPublicClient, custom, getAddress, type Address, type EIP1193Provider, type PublicClient } from "viem";

import { previewLiquidation, requirementOf, stateFromStore } from "../../../keeper/src/liquidation/previewLiquidation.js";
import { chooseFraction, createProRataLiquidationStrategy, type LiquidationCandidate } from "../../../keeper/src/liquidation/strategy.js";
import type { KeeperStore } from "../../../keeper/src/store/index.js";
import { liquidationContextAtHead } from "../../helpers/liquidationContext.js";
import { connection, deployDefault, MARKET, networkHelpers, setPrice, units, wad } from "../../fixtures.js";

const client = createPublicClient({ transport: custom(connection.provider as unknown as EIP1193Provider) }) as PublicClient;
type Deployed = Awaited<ReturnType<typeof deployDefault>>;

/** Indexes to the head and builds the candidate for `account` liquidated by `liquidator`. */
async function candidateAt(deployed: Deployed, account: string, liquidator: string): Promise<{ store: KeeperStore; candidate: LiquidationCandidate }> {
  const { store, risk, ctx } = await liquidationContextAtHead(client, await deployed.vault.getAddress());
  const candidate: LiquidationCandidate = {
    account: getAddress(account),
    state: stateFromStore(store, risk, getAddress(account)),
    liquidator: stateFromStore(store, risk, getAddress(liquidator)),
    ctx,
  };
  return { store, candidate };
}

async function margin(vault: Contract, account: string) {
  const m = await vault.accountMargin(account);
  return { equity: m.equity as bigint, mm: m.maintenanceMargin as bigint, im: m.initialMargin as bigint };
}

/** Sends the plan from `signer` and checks the vault's figures against the twin's, to the wei. */
async function executeAndCompare(deployed: Deployed, candidate: LiquidationCandidate, signer: Deployed["carol"]) {
  const plan = chooseFraction(candidate);
  expect(plan, "a plan").to.not.equal(null);
  const strategy = createProRataLiquidationStrategy({ client, vault: getAddress(await deployed.vault.getAddress()), liquidator: getAddress(signer.address) });
  const simulated = await strategy.simulate(plan!);
  expect(simulated.ok, JSON.stringify(simulated.ok ? "" : simulated.errorName)).to.equal(true);
  if (simulated.ok) expect(simulated.bonus).to.equal(plan!.preview.bonus);
  const onchain = await (deployed.vault.connect(signer) as Contract).previewLiquidation(candidate.account, plan!.fraction);
  expect([onchain.fraction, onchain.value, onchain.bonus, onchain.fundShare]).to.deep.equal([
    plan!.preview.fraction,
    plan!.preview.value,
    plan!.preview.bonus,
    plan!.preview.fundShare,
  ]);
  const liquidatorBefore = await margin(deployed.vault, signer.address);
  await (deployed.vault.connect(signer) as Contract).liquidate(candidate.account, plan!.fraction);
  const after = await margin(deployed.vault, candidate.account);
  const liquidatorAfter = await margin(deployed.vault, signer.address);
  expect(after).to.deep.equal(plan!.preview.account.after);
  expect(liquidatorAfter).to.deep.equal(plan!.preview.liquidator.after);
  // The reward is the bonus less the fund's share; the liquidator's equity differs by the engine's rounding of the
  // same slice on its own book (at most a wei per entry).
  const gain = liquidatorAfter.equity - liquidatorBefore.equity;
  expect(gain - plan!.preview.reward <= 8n && plan!.preview.reward - gain <= 8n).to.equal(true);
  return plan!;
}

async function fundLiquidator(deployed: Deployed, usdc: number) {
  await (deployed.vault.connect(deployed.carol) as Contract).deposit(deployed.tokens.USDC, await units(deployed.tokens.USDC, usdc), deployed.carol.address);
}

describe("keeper liquidation strategy (in-process)", () => {
  it("asks for the close factor of a directional account, which the vault applies and which restores IM", async () => {
    const d = await networkHelpers.loadFixture(deployDefault);
    await (d.vault.connect(d.alice) as Contract).deposit(d.tokens.USDC, await units(d.tokens.USDC, 10_000), d.alice.address);
    await fundLiquidator(d, 50_000);
    await d.vault.harnessSetPosition(d.alice.address, MARKET.ETH, wad(10));
    await d.vault.harnessSetCash(d.alice.address, wad(-23_000));
    await setPrice(d.feeds.ETH, wad(1_500));
    const { candidate } = await candidateAt(d, d.alice.address, d.carol.address);
    const max: bigint = await d.vault.maxLiquidationFraction(d.alice.address);
    const plan = await executeAndCompare(d, candidate, d.carol);
    expect(plan.fraction).to.equal(max);
    expect(max > 0n && max < wad(1)).to.equal(true);
    const after = plan.preview.account.after;
    expect(after.equity + 10n ** 12n >= after.im).to.equal(true);
  });

  it("slices every position of a multi-market account at once, and the vault agrees to the wei", async () => {
    const d = await networkHelpers.loadFixture(deployDefault);
    await (d.vault.connect(d.alice) as Contract).deposit(d.tokens.USDC, await units(d.tokens.USDC, 5_000), d.alice.address);
    await fundLiquidator(d, 200_000);
    await d.vault.harnessSetPosition(d.alice.address, MARKET.ETH, wad(6));
    await d.vault.harnessSetPosition(d.alice.address, MARKET.SOL, wad(100));
    await d.vault.harnessSetPosition(d.alice.address, MARKET.DOGE, wad(-20_000));
    await d.vault.harnessSetCash(d.alice.address, wad(-24_000));
    const { candidate } = await candidateAt(d, d.alice.address, d.carol.address);
    const r = requirementOf(candidate.state, candidate.ctx)!;
    expect(r.equity < r.mm && r.equity > 0n).to.equal(true);
    await executeAndCompare(d, candidate, d.carol);
    for (const market of [MARKET.ETH, MARKET.SOL, MARKET.DOGE]) {
      expect(await d.vault.position(d.carol.address, market)).to.not.equal(0n);
    }
  });

  it("takes everything from an insolvent account, collateral included, and the store follows the transfers", async () => {
    const d = await networkHelpers.loadFixture(deployDefault);
    await (d.vault.connect(d.alice) as Contract).deposit(d.tokens.WETH, await units(d.tokens.WETH, 2), d.alice.address);
    await fundLiquidator(d, 100_000);
    await d.vault.harnessSetPosition(d.alice.address, MARKET.BTC, wad(1));
    await d.vault.harnessSetCash(d.alice.address, wad(-44_000));
    await setPrice(d.feeds.BTC, wad(38_000));
    const { candidate } = await candidateAt(d, d.alice.address, d.carol.address);
    expect(requirementOf(candidate.state, candidate.ctx)!.equity < 0n).to.equal(true);
    const plan = await executeAndCompare(d, candidate, d.carol);
    expect(plan.fraction).to.equal(wad(1));
    expect(plan.preview.account.badDebt).to.equal(true);
    const { store } = await candidateAt(d, d.alice.address, d.carol.address);
    const weth = getAddress(await d.tokens.WETH.getAddress()) as Address;
    expect(store.balances(getAddress(d.carol.address)).find((b) => b.token === weth)?.amount).to.equal(await units(d.tokens.WETH, 2));
    expect(store.balances(getAddress(d.alice.address)).find((b) => b.token === weth)?.amount).to.equal(0n);
    expect(store.riskConfig().liquidation.bonusRate).to.equal((await d.vault.liquidationConfig())[0]);
  });

  it("halves the fraction to keep the liquidator at initial margin, and refuses when it has no collateral", async () => {
    const d = await networkHelpers.loadFixture(deployDefault);
    await (d.vault.connect(d.alice) as Contract).deposit(d.tokens.USDC, await units(d.tokens.USDC, 10_000), d.alice.address);
    await fundLiquidator(d, 150);
    await d.vault.harnessSetPosition(d.alice.address, MARKET.ETH, wad(10));
    await d.vault.harnessSetCash(d.alice.address, wad(-23_000));
    await setPrice(d.feeds.ETH, wad(1_500));
    const { candidate } = await candidateAt(d, d.alice.address, d.carol.address);
    const max: bigint = await d.vault.maxLiquidationFraction(d.alice.address);
    const plan = await executeAndCompare(d, candidate, d.carol);
    expect(plan.fraction < max).to.equal(true); // could not go all the way
    const { candidate: broke } = await candidateAt(d, d.alice.address, d.bob.address);
    expect(chooseFraction(broke)).to.equal(null);
    expect(previewLiquidation({ ctx: broke.ctx, account: broke.state, liquidator: broke.liquidator, fraction: wad(1) })).to.deep.include({ ok: false, revert: "InsufficientMargin" });
  });
});
