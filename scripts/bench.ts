/**
 * `npm run bench`: prints measured figures, never asserts on time. Contracts: gas of deposit, withdraw and the
 * margin views on an in-process Hardhat network, for portfolios touching 1, 3 and 6 risk assets; gas of
 * `settleTrade` (first and later trade) and of `liquidate` (the close factor: a pro-rata slice of every position
 * and of the USDC) for accounts with 1, 3 and 6 positions plus USDC. Each figure is printed beside the product
 * target where there is one, and a figure above its target is marked MISS. Cash settlement: `settleCash` and a
 * `withdraw` that pays cash.
 */
import { readFileSync } from "node:fs";
import { network } from "hardhat";
import type { Contract, Signer } from "ethers";

import { buildPortfolioMarginModule, DEFAULT_CONFIG_PATH } from "../ignition/modules/PortfolioMargin.js";
import { parseDeploymentConfig } from "../ignition/modules/deploymentConfig.js";
import { ORDER_TYPES } from "../client/src/orders.js";

const WAD = 10n ** 18n;

interface Row {
  what: string;
  gas: bigint;
  target?: string;
}

async function contractGas(): Promise<Row[]> {
  const connection = await network.create();
  const { ethers, ignition } = connection;
  const config = { ...parseDeploymentConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, "utf8"))), harness: true };
  const deployed = await ignition.deploy(buildPortfolioMarginModule(config), { displayUi: false });
  const vault = deployed.vault as Contract;
  const token = (symbol: string) => deployed[`token_${symbol}`] as Contract;
  const probe = (await ethers.deployContract("GasProbe")) as Contract;
  const signers = await ethers.getSigners();

  // Portfolios by number of risk assets touched: collateral in each, and a position in each perp market of them.
  const portfolios: { assets: number; collateral: string[]; markets: number[] }[] = [
    { assets: 1, collateral: ["WETH"], markets: [1] },
    { assets: 3, collateral: ["USDC", "WBTC", "WETH"], markets: [0, 1] },
    { assets: 6, collateral: ["USDC", "WBTC", "WETH", "WSOL", "LINK", "DOGE"], markets: [0, 1, 2, 3, 4] },
  ];
  const rows: Row[] = [];
  for (const [i, portfolio] of portfolios.entries()) {
    const user = signers[i + 1]!;
    const asUser = vault.connect(user) as Contract;
    let firstDeposit = 0n;
    for (const symbol of portfolio.collateral) {
      const t = token(symbol);
      const amount = 10n ** (await t.decimals());
      await t.mint(user.address, amount * 100n);
      await (t.connect(user) as Contract).approve(vault, ethers.MaxUint256);
      const receipt = await (await asUser.deposit(t, amount * 10n, user.address)).wait();
      if (firstDeposit === 0n) firstDeposit = receipt!.gasUsed;
    }
    // Small hedged positions (placed by the harness until trades exist): the account stays far above IM.
    for (const market of portfolio.markets) await vault.harnessSetPosition(user.address, market, -WAD / 100n);
    await vault.harnessSetCash(user.address, 10_000n * WAD);

    const label = `${portfolio.assets} asset${portfolio.assets > 1 ? "s" : ""}, ${portfolio.collateral.length} collateral, ${portfolio.markets.length} market${portfolio.markets.length === 1 ? "" : "s"}`;
    if (i === 0) rows.push({ what: "deposit (first, new balance)", gas: firstDeposit });
    rows.push({
      what: `accountMargin (${label})`,
      gas: await probe.measureAccountMargin(vault, user.address),
      target: portfolio.assets === 6 ? "<= 120,000" : undefined,
    });
    rows.push({ what: `isLiquidatable (${label})`, gas: await probe.measureIsLiquidatable(vault, user.address) });
    const withdrawToken = token(portfolio.collateral[portfolio.collateral.length - 1]!);
    const receipt = await (await asUser.withdraw(withdrawToken, 10n ** (await withdrawToken.decimals()), user.address, user.address)).wait();
    rows.push({ what: `withdraw with margin check (${label})`, gas: receipt!.gasUsed });
  }
  await connection.close();
  return rows;
}


/** Gas of `settleTrade` (two signed orders) and of `liquidate` at the close factor. */
async function tradeAndLiquidationGas(): Promise<Row[]> {
  const rows: Row[] = [];
  const config = { ...parseDeploymentConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, "utf8"))), harness: true };
  const gasUsed = async (tx: Promise<any>): Promise<bigint> => ((await (await tx).wait()).gasUsed as bigint);
  const deploy = async () => {
    const connection = await network.create();
    const { ethers, ignition } = connection;
    const deployed = await ignition.deploy(buildPortfolioMarginModule(config), { displayUi: false });
    const [, alice, bob, carol] = await ethers.getSigners();
    const usdc = deployed.token_USDC as Contract;
    const vault = deployed.vault as Contract;
    for (const user of [alice!, bob!, carol!]) {
      await usdc.mint(user.address, 1_000_000n * 10n ** 6n);
      await (usdc.connect(user) as Contract).approve(vault, ethers.MaxUint256);
    }
    return { connection, ethers, vault, settlement: deployed.settlement as Contract, usdc, alice: alice!, bob: bob!, carol: carol! };
  };

  {
    const { connection, ethers, vault, settlement, usdc, alice, bob, carol } = await deploy();
    for (const user of [alice, bob]) await (vault.connect(user) as Contract).deposit(usdc, 10_000n * 10n ** 6n, user.address);
    const { chainId } = await ethers.provider.getNetwork();
    const domain = { name: "PortfolioMargin TradeSettlement", version: "1", chainId, verifyingContract: await settlement.getAddress() };
    const order = (account: string, size: bigint, nonce: bigint) =>
      ({ account, market: 1n, size, limitPrice: 2_300n * WAD, nonce, expiry: 2n ** 40n });
    const sign = (signer: Signer, o: object) => signer.signTypedData(domain, ORDER_TYPES, o);
    for (let i = 0n; i < 2n; i++) {
      const buy = order(alice.address, WAD, 2n * i + 1n);
      const sell = order(bob.address, -WAD, 2n * i + 2n);
      const gas = await gasUsed(
        (settlement.connect(carol) as Contract).settleTrade(buy, await sign(alice, buy), sell, await sign(bob, sell), WAD, 2_300n * WAD),
      );
      rows.push({ what: `settleTrade (${i === 0n ? "first trade of both sides" : "later trade"}, 1 ETH)`, gas, target: "<= 250,000" });
    }
    await connection.close();
  }

  const targets: Record<number, string> = { 1: "<= 150,000", 3: "<= 220,000", 6: "<= 320,000" };
  for (const count of [1, 3, 6]) {
    const { connection, vault, usdc, alice, carol } = await deploy();
    // A sixth market (a second BTC perpetual) for the six-position case.
    await vault.listMarket(1, 5n * 10n ** 15n, 1_000n * WAD);
    await (vault.connect(alice) as Contract).deposit(usdc, 10_000n * 10n ** 6n, alice.address);
    await (vault.connect(carol) as Contract).deposit(usdc, 100_000n * 10n ** 6n, carol.address);
    const sizes = [WAD / 10n, WAD, 10n * WAD, 100n * WAD, 10_000n * WAD, WAD / 10n];
    for (let m = 0; m < count; m++) await vault.harnessSetPosition(alice.address, m, sizes[m]);
    // Cash such that E = 90% of MM.
    const margin = await vault.accountMargin(alice.address);
    await vault.harnessSetCash(alice.address, (margin.maintenanceMargin * 9n) / 10n - margin.equity);
    // Asking for the whole portfolio: the vault clamps it to the close factor.
    const gas = await gasUsed((vault.connect(carol) as Contract).liquidate(alice.address, WAD));
    rows.push({ what: `liquidate (close factor, account with ${count} position${count === 1 ? "" : "s"} + USDC)`, gas, target: targets[count] });
    await connection.close();
  }
  return rows;
}

/**
 * Gas of cash settlement (docs/cash.md): `settleCash` of a debtor holding USDC, and a `withdraw` that pays a
 * creditor's positive cash after its USDC balance (one asset, USD).
 */
async function cashGas(): Promise<Row[]> {
  const connection = await network.create();
  const { ethers, ignition } = connection;
  const config = { ...parseDeploymentConfig(JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, "utf8"))), harness: true };
  const deployed = await ignition.deploy(buildPortfolioMarginModule(config), { displayUi: false });
  const vault = deployed.vault as Contract;
  const cash = (await ethers.getContractAt("CashModule", await vault.getAddress())) as unknown as Contract;
  const usdc = deployed.token_USDC as Contract;
  const [, alice, bob, carol] = await ethers.getSigners();
  for (const user of [alice!, bob!]) {
    await usdc.mint(user.address, 10_000n * 10n ** 6n);
    await (usdc.connect(user) as Contract).approve(vault, ethers.MaxUint256);
    await (vault.connect(user) as Contract).deposit(usdc, 10_000n * 10n ** 6n, user.address);
  }
  // The issue's round trip, placed by the harness: Alice +600 of cash, Bob -600.
  await vault.harnessSetCash(alice!.address, 600n * WAD);
  await vault.harnessSetCash(bob!.address, -600n * WAD);
  const gasUsed = async (tx: Promise<any>): Promise<bigint> => ((await (await tx).wait()).gasUsed as bigint);
  const rows: Row[] = [
    {
      what: "settleCash (debtor with USDC, nets 600)",
      gas: await gasUsed((cash.connect(carol!) as Contract).settleCash(bob!.address)),
      target: "<= 60,000",
    },
    {
      what: "withdraw paying cash (10,000 balance + 600 cash, 1 asset)",
      gas: await gasUsed((vault.connect(alice!) as Contract).withdraw(usdc, 10_600n * 10n ** 6n, alice!.address, alice!.address)),
      target: "<= 120,000",
    },
  ];
  await connection.close();
  return rows;
}

/** " MISS" when `gas` is above a "<= N" target. */
function miss(row: Row): string {
  const limit = row.target?.match(/^<= ([\d,]+)$/)?.[1];
  return limit !== undefined && row.gas > BigInt(limit.replaceAll(",", "")) ? "   MISS" : "";
}

const rows = [...(await contractGas()), ...(await tradeAndLiquidationGas()), ...(await cashGas())];
const width = Math.max(...rows.map((r) => r.what.length));
console.log(
  "Gas (in-process Hardhat network, solc 0.8.28, viaIR, optimizer 50 runs; view figures measured by GasProbe, cold;" +
    " transactions: gasUsed, intrinsic cost included)",
);
for (const row of rows) {
  console.log(`  ${row.what.padEnd(width)}  ${row.gas.toLocaleString("en-US").padStart(9)}${row.target ? `   target ${row.target}` : ""}${miss(row)}`);
}
