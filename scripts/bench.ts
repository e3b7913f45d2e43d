/**
 * `npm run bench`: prints measured figures, never asserts on time. Contracts: gas of deposit, withdraw and the
 * margin views on an in-process Hardhat network, for portfolios touching 1, 3 and 6 risk assets.
 */
import { readFileSync } from "node:fs";
import { network } from "hardhat";
import type { Contract } from "ethers";

import { buildPortfolioMarginModule, DEFAULT_CONFIG_PATH } from "../ignition/modules/PortfolioMargin.js";
import { parseDeploymentConfig } from "../ignition/modules/deploymentConfig.js";

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

const rows = await contractGas();
const width = Math.max(...rows.map((r) => r.what.length));
console.log("Gas (in-process Hardhat network, solc 0.8.28, optimizer 200 runs; view figures measured by GasProbe, cold)");
for (const row of rows) {
  console.log(`  ${row.what.padEnd(width)}  ${row.gas.toLocaleString("en-US").padStart(9)}${row.target ? `   target ${row.target}` : ""}`);
}
