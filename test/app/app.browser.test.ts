/**
 * The web page in a real browser (Debian's headless Chromium driven by playwright-core) against a `hardhat node`:
 * the account view's figures equal `vault.accountMargin` to the wei, the what-if figure of a trade equals the
 * chain's after the trade, an account pushed under MM tops the at-risk list at the block of the price move, a
 * deposit and a cash settlement made through the page land on-chain, a refused withdrawal shows the decoded error,
 * the insurance fund's cooldown and a redemption request are shown, no console errors.
 * Screenshots of each view go to reports/app/.
 */
import { expect } from "chai";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Contract, Signer, Wallet } from "ethers";
import { chromium, type Browser, type Page } from "playwright-core";

import { buildApp, serveApp, type AppServer } from "../../app/server/serve.js";
import { parseMakerConfig } from "../../maker/src/config.js";
import { startMaker, type RunningMaker } from "../../maker/src/startMaker.js";
import { MARKET, deploy, newUser, setPrice, startNode, stopAll, trade, waitFor, wad, type Deployment } from "../keeper/e2e/harness.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const SHOTS = path.join(process.cwd(), "reports", "app");
const ASSET = { BTC: 1n, ETH: 2n, SOL: 3n, LINK: 4n, DOGE: 5n } as const;

describe("web app in headless Chromium against a hardhat node", function () {
  this.timeout(240_000);
  let d: Deployment;
  let node: Awaited<ReturnType<typeof startNode>>;
  let server: AppServer;
  let browser: Browser;
  let page: Page;
  let maker: Wallet;
  let rfq: RunningMaker;
  let trader: Signer;
  let risky: Signer;
  const consoleErrors: string[] = [];

  const oracle = async (asset: bigint): Promise<bigint> => (await d.vault.price(asset)) as bigint;
  const head = async (): Promise<number> => Number(await node.rpc("eth_blockNumber"));
  const pageBlock = async (): Promise<number> => Number((await page.getByTestId("block").textContent()) ?? -1);
  const weiOf = async (testId: string): Promise<bigint> => BigInt((await page.getByTestId(testId).getAttribute("data-wei"))!);
  /** Waits until the page shows block `n` (or later). */
  const pageAt = (n: number) => waitFor(`the page at block ${n}`, async () => (await pageBlock()) >= n, 20_000, 50);

  before(async function () {
    mkdirSync(SHOTS, { recursive: true });
    node = await startNode();
    [d] = await Promise.all([deploy(node.url), buildApp()]);
    maker = await newUser(d, 5_000_000);
    trader = await newUser(d, 200_000);
    risky = await newUser(d, 20_000);
    // A six-asset account (USD and five perps) and one levered long that a 20% ETH fall puts under MM.
    const sizes: [number, bigint, bigint][] = [
      [MARKET.BTC, ASSET.BTC, wad(1)],
      [MARKET.ETH, ASSET.ETH, -wad(10)],
      [MARKET.SOL, ASSET.SOL, wad(100)],
      [MARKET.LINK, ASSET.LINK, -wad(1000)],
      [MARKET.DOGE, ASSET.DOGE, wad(100_000)],
    ];
    for (const [market, asset, size] of sizes) {
      const price = await oracle(asset);
      if (size > 0n) await trade(d, trader, maker, market, size, price);
      else await trade(d, maker, trader, market, -size, price);
    }
    await trade(d, risky, maker, MARKET.ETH, wad(30), await oracle(ASSET.ETH));

    const settlement = (await d.settlement.getAddress()) as `0x${string}`;
    rfq = await startMaker(
      parseMakerConfig({
        rpcUrl: node.url, chainId: 31337, vault: d.vaultAddress, settlement, key: { privateKeyEnv: "APP_TEST_MAKER_KEY" }, http: { host: "127.0.0.1", port: 0 }, quoteTtlSeconds: 60, logLevel: "silent",
      }),
      { env: { APP_TEST_MAKER_KEY: maker.privateKey } },
    );
    server = await serveApp({ rpcUrl: node.url, vault: d.vaultAddress, makerUrl: rfq.url, pollingIntervalMs: 200 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
    page.on("pageerror", (e) => consoleErrors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await rfq?.close();
    await d?.connection.close?.();
    await stopAll();
  });

  it("shows E, MM and IM equal to vault.accountMargin to the wei, read-only without a wallet", async () => {
    const account = await trader.getAddress();
    await page.goto(`${server.url}#/account/${account}`);
    await pageAt(await head());
    const chain = await d.vault.accountMargin(account);
    expect(await weiOf("equity")).to.equal(chain.equity);
    expect(await weiOf("mm")).to.equal(chain.maintenanceMargin);
    expect(await weiOf("im")).to.equal(chain.initialMargin);
    expect(await page.getByTestId("readonly").textContent()).to.match(/Read-only: no wallet connected/);
    await page.screenshot({ path: path.join(SHOTS, "account.png"), fullPage: true });
  });

  it("what-if: the figures for a trade equal the chain's after executing it", async () => {
    const account = await trader.getAddress();
    const before = (await d.vault.position(account, MARKET.ETH)) as bigint;
    const size = -wad(15);
    await page.getByTestId(`whatif-size-${MARKET.ETH}`).fill("-15");
    await waitFor("the what-if figures", async () => (await page.getByTestId(`whatif-size-${MARKET.ETH}`).inputValue()) === "-15");
    const predicted = { equity: await weiOf("whatif-equity"), mm: await weiOf("whatif-mm"), im: await weiOf("whatif-im") };
    await page.getByTestId("whatif").screenshot({ path: path.join(SHOTS, "what-if.png") });
    await page.getByTestId("stress").screenshot({ path: path.join(SHOTS, "stress.png") });

    await trade(d, maker, trader, MARKET.ETH, before - size, await oracle(ASSET.ETH));
    const chain = await d.vault.accountMargin(account);
    expect(chain.equity).to.equal(predicted.equity);
    expect(chain.maintenanceMargin).to.equal(predicted.mm);
    expect(chain.initialMargin).to.equal(predicted.im);
    await pageAt(await head());
    expect(await weiOf("equity")).to.equal(chain.equity);
  });

  it("puts an account pushed under MM at the top of the at-risk list at the block of the price move", async () => {
    await page.goto(`${server.url}#/protocol`);
    await pageAt(await head());
    await setPrice(d, "ETH", (await oracle(ASSET.ETH)) * 80n / 100n);
    const moved = await head();
    expect(await d.vault.isLiquidatable(await risky.getAddress())).to.equal(true);
    await pageAt(moved);
    expect(await pageBlock(), "no block mined after the move").to.equal(moved);
    // The ranking comes from the Web Worker just after the block: it is of the block of the move.
    await waitFor("the ranking of the block", async () => Number(await page.getByTestId("ranked-block").textContent()) >= moved, 20_000, 50);
    expect(Number(await page.getByTestId("ranked-block").textContent())).to.equal(moved);
    const top = page.getByTestId("at-risk").locator("a").first();
    expect(await top.getAttribute("data-address")).to.equal(await risky.getAddress());
    await page.screenshot({ path: path.join(SHOTS, "protocol.png"), fullPage: true });
  });

  it("deposits through the page with a dev account, and shows the decoded error of a refused withdrawal", async () => {
    const [admin] = await d.ethers.getSigners();
    const dev = (await d.ethers.getSigners())[7]!;
    const account = await dev.getAddress();
    const usdc = d.token("USDC") as Contract;
    await (await (usdc.connect(admin) as Contract).mint(account, 5_000n * 10n ** 6n)).wait();

    await page.getByTestId("dev-account").selectOption(account);
    await page.getByTestId("action-amount").fill("1000");
    await page.getByTestId("deposit").click();
    await waitFor("the deposit", async () => /deposit confirmed/.test((await page.getByTestId("action-result").textContent()) ?? ""), 30_000);
    expect(await d.vault.collateralBalance(account, await usdc.getAddress())).to.equal(1_000n * 10n ** 6n);

    await trade(d, dev, maker, MARKET.ETH, wad(1), await oracle(ASSET.ETH));
    await pageAt(await head());
    await page.getByTestId("action-amount").fill("900");
    await page.getByTestId("withdraw").click();
    await waitFor("the refusal", async () => /InsufficientMargin/.test((await page.getByTestId("action-result").textContent()) ?? ""), 30_000);
    expect(await d.vault.collateralBalance(account, await usdc.getAddress())).to.equal(1_000n * 10n ** 6n);
    await page.screenshot({ path: path.join(SHOTS, "refused-withdrawal.png"), fullPage: true });
  });

  it("trades through the RFQ maker: the margin shown before signing is the chain's after the trade", async () => {
    const dev = (await d.ethers.getSigners())[7]!;
    const account = await dev.getAddress();
    const before = (await d.vault.position(account, MARKET.ETH)) as bigint;
    await page.getByTestId("trade-market").selectOption(String(MARKET.ETH));
    await page.getByTestId("trade-side").selectOption("buy");
    await page.getByTestId("trade-size").fill("0.5");
    await page.getByTestId("trade-quote").click();
    await page.getByTestId("trade-after-equity").waitFor();
    const predicted = { equity: await weiOf("trade-after-equity"), mm: await weiOf("trade-after-mm"), im: await weiOf("trade-after-im") };
    await page.getByTestId("trade").screenshot({ path: path.join(SHOTS, "rfq-trade.png") });
    await page.getByTestId("trade-sign").click();
    await waitFor("the trade", async () => /trade settled/.test((await page.getByTestId("trade-result").textContent()) ?? ""), 30_000);
    expect(await d.vault.position(account, MARKET.ETH)).to.equal(before + wad(0.5));
    const chain = await d.vault.accountMargin(account);
    expect([chain.equity, chain.maintenanceMargin, chain.initialMargin]).to.deep.equal([predicted.equity, predicted.mm, predicted.im]);
  });

  it("settles cash through the page: the account's USDC pays its negative cash into the pool, equity unchanged", async () => {
    const dev = (await d.ethers.getSigners())[7]!;
    const account = await dev.getAddress();
    const usdc = await (d.token("USDC") as Contract).getAddress();
    const [cashBefore, balanceBefore, marginBefore] = await Promise.all([d.vault.cash(account), d.vault.collateralBalance(account, usdc), d.vault.accountMargin(account)]);
    expect(cashBefore < 0n, "the long's cost is negative cash").to.equal(true);
    await pageAt(await head());
    expect(await page.getByTestId("settle-cash-state").textContent()).to.match(/settling pays it from your USDC/);
    await page.getByTestId("settle-cash").click();
    await waitFor("the settlement", async () => /cash settlement confirmed/.test((await page.getByTestId("action-result").textContent()) ?? ""), 30_000);
    const [cashAfter, balanceAfter, marginAfter] = await Promise.all([d.vault.cash(account), d.vault.collateralBalance(account, usdc), d.vault.accountMargin(account)]);
    const units = (balanceBefore as bigint) - (balanceAfter as bigint);
    expect(units > 0n).to.equal(true);
    expect(cashAfter).to.equal((cashBefore as bigint) + units * 10n ** 12n);
    expect(marginAfter.equity).to.equal(marginBefore.equity);
    await pageAt(await head());
    expect(await weiOf("settle-cash-state")).to.equal(cashAfter);
    expect(await weiOf("equity")).to.equal(marginAfter.equity);
    await page.getByTestId("actions").screenshot({ path: path.join(SHOTS, "settle-cash.png") });
  });

  it("shows the insurance fund's cooldown and a shareholder's redemption request cooling down", async () => {
    const [admin] = await d.ethers.getSigners();
    const holder = (await d.ethers.getSigners())[8]!;
    const [fundAddress] = (await d.vault.insurance()) as [string, bigint];
    const fund = await d.ethers.getContractAt("InsuranceFund", fundAddress, holder);
    const usdc = d.token("USDC") as Contract;
    await (await (usdc.connect(admin) as Contract).mint(await holder.getAddress(), 10_000n * 10n ** 6n)).wait();
    await (await (usdc.connect(holder) as Contract).approve(fundAddress, 10_000n * 10n ** 6n)).wait();
    await (await fund.deposit(10_000n * 10n ** 6n, await holder.getAddress())).wait();
    const shares = (await fund.balanceOf(await holder.getAddress())) as bigint;
    await (await fund.requestRedeem(shares / 2n)).wait();

    await page.goto(`${server.url}#/protocol`);
    await pageAt(await head());
    expect(await page.getByTestId("fund-cooldown").textContent()).to.equal("7 d, then a 2 d window");
    const row = page.getByTestId("fund-requests").locator(`tr[data-owner="${await holder.getAddress()}"]`);
    expect(await row.textContent()).to.match(/cooling, (7 d|6 d 23 h) left/);
    expect(await page.getByTestId("fund-assets").getAttribute("data-units")).to.equal(String(await fund.totalAssets()));
    await page.getByTestId("fund").screenshot({ path: path.join(SHOTS, "insurance-fund.png") });
  });

  it("logs no console error", () => {
    expect(consoleErrors).to.deep.equal([]);
  });
});
