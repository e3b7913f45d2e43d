/**
 * Shared set-up of the attack catalogue (test/attacks/*.test.ts): the default deployment with Alice, Bob and Carol
 * funded in the vault, signed trades, and the conservation checks every attack ends with.
 */
import { expect } from "chai";
import type { Contract, Signer } from "ethers";

import { ASSET, deployDefault, ethers, setPrice } from "../fixtures.js";
import { makeOrder, signOrder } from "../helpers/orders.js";

export type Fixture = Awaited<ReturnType<typeof deployDefault>>;

/** `x` whole USDC in token units (6 decimals). */
export const USDC = (x: bigint | number): bigint => BigInt(x) * 10n ** 6n;
/** WAD cash per USDC unit. */
export const SCALE = 10n ** 12n;
export const ETH_PRICE = 2_300n * 10n ** 18n;

export interface Margin {
  equity: bigint;
  mm: bigint;
  im: bigint;
}

export async function margin(f: Fixture, account: string): Promise<Margin> {
  const m = await f.vault.accountMargin(account);
  return { equity: m.equity as bigint, mm: m.maintenanceMargin as bigint, im: m.initialMargin as bigint };
}

/** `user` deposits `amount` of `token` into its own account. */
export async function deposit(f: Fixture, user: Signer, token: Contract, amount: bigint): Promise<void> {
  await (f.vault.connect(user) as Contract).deposit(token, amount, await user.getAddress());
}

/** `user` withdraws `amount` of `token` from its own account to itself. */
export function withdraw(f: Fixture, user: Signer & { address: string }, token: Contract, amount: bigint) {
  return (f.vault.connect(user) as Contract).withdraw(token, amount, user.address, user.address);
}

/** Both orders of a trade of `size` in `market` at `price`, signed by `buyer` and `seller`. */
export async function signedTrade(f: Fixture, buyer: Signer, seller: Signer, market: number, size: bigint, price: bigint) {
  const buy = await makeOrder(await buyer.getAddress(), market, size, price);
  const sell = await makeOrder(await seller.getAddress(), market, -size, price);
  return {
    buy,
    sell,
    buySig: await signOrder(f.settlement, buyer, buy),
    sellSig: await signOrder(f.settlement, seller, sell),
  };
}

/** `buyer` buys `size` of `market` from `seller` at `price`, both orders signed, relayed by the admin. */
export async function trade(f: Fixture, buyer: Signer, seller: Signer, market: number, size: bigint, price: bigint) {
  const t = await signedTrade(f, buyer, seller, market, size, price);
  return f.settlement.settleTrade(t.buy, t.buySig, t.sell, t.sellSig, size, price);
}

/** Alice, Bob and Carol each hold 10,000 USDC in the vault. */
export async function funded(): Promise<Fixture> {
  const f = await deployDefault();
  for (const user of [f.alice, f.bob, f.carol]) await deposit(f, user, f.tokens.USDC, USDC(10_000));
  return f;
}

/**
 * `funded`, then Alice buys 10 ETH perp from Bob at 2,300 and ETH falls to 1,500: Alice (10,000 USDC, cash -23,000, E = 2,000)
 * is under maintenance margin but solvent; Bob is short 10 ETH with +23,000 cash.
 */
export async function aliceUnderwater(): Promise<Fixture> {
  const f = await funded();
  await trade(f, f.alice, f.bob, 1, 10n * 10n ** 18n, ETH_PRICE);
  await setPrice(f.feeds.ETH, 1_500n * 10n ** 18n);
  return f;
}

/** `funded`, plus a QuirkyToken listed as ETH collateral (2% haircut), 100 minted to Alice and approved. */
export async function withQuirky(): Promise<Fixture & { quirky: Contract }> {
  const f = await funded();
  const quirky = (await ethers.deployContract("QuirkyToken")) as unknown as Contract;
  await f.vault.listCollateral(quirky, ASSET.ETH, 2n * 10n ** 16n, 1_000n * 10n ** 18n);
  await quirky.mint(f.alice.address, 100n * 10n ** 18n);
  await (quirky.connect(f.alice) as Contract).approve(await f.vault.getAddress(), ethers.MaxUint256);
  return { ...f, quirky };
}

/** Alice buys 2 ETH perp from Bob at 2,300, the oracle moves to `exit` and she sells them back to him there. */
export async function roundTrip(f: Fixture, exit: bigint): Promise<void> {
  await trade(f, f.alice, f.bob, 1, 2n * 10n ** 18n, ETH_PRICE);
  await setPrice(f.feeds.ETH, exit);
  await trade(f, f.bob, f.alice, 1, 2n * 10n ** 18n, exit);
}

/**
 * Alice and Carol hold 10,000 USDC, Bob holds `amount` of `token` (no USDC); Alice wins 600 from Bob on an ETH round
 * trip (2,300 to 2,600): Bob owes cash that only a sale of his collateral can pay.
 */
export async function debtorHolds(token: "WETH" | "WBTC", amount: bigint): Promise<Fixture> {
  const f = await deployDefault();
  await deposit(f, f.alice, f.tokens.USDC, USDC(10_000));
  await deposit(f, f.carol, f.tokens.USDC, USDC(10_000));
  await deposit(f, f.bob, f.tokens[token], amount);
  await roundTrip(f, 2_600n * 10n ** 18n);
  return f;
}

/** Everyone whose vault cash may be non-zero in the default deployment. */
export async function cashHolders(f: Fixture): Promise<string[]> {
  return [f.admin.address, f.alice.address, f.bob.address, f.carol.address, await f.insuranceFund.getAddress()];
}

/** sum(cash) = settlement pool * 1e12 + bad debt, to the wei (docs/cash.md). */
export async function expectCashConserved(f: Fixture): Promise<void> {
  let sum = 0n;
  for (const a of await cashHolders(f)) sum += await f.vault.cash(a);
  const [pool] = await f.cash.cashPool();
  const [, badDebt] = await f.vault.insurance();
  expect(sum).to.equal(pool * SCALE + badDebt);
}

/** The vault holds at least every account's recorded balance plus the pool, for every token (no unbacked credit). */
export async function expectTokensBacked(f: Fixture, token: Contract, accounts: string[]): Promise<void> {
  let owed = 0n;
  for (const a of accounts) owed += await f.vault.collateralBalance(a, token);
  if (token === f.tokens.USDC) owed += (await f.cash.cashPool())[0] as bigint;
  expect(await token.balanceOf(await f.vault.getAddress())).to.be.greaterThanOrEqual(owed);
}

/** The token balances of `account` outside the vault, for every token of the deployment. */
export async function wallet(f: Fixture, account: string): Promise<bigint[]> {
  return Promise.all(Object.values(f.tokens).map((t) => t.balanceOf(account) as Promise<bigint>));
}

