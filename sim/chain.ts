/**
 * The protocol on the local node: deployment through the Ignition module (spec §7 defaults, mock feeds and
 * tokens), feeds, funding of the market maker, the keeper and the insurance fund, and accounts opened with
 * real EIP-712 signed orders: quotes of the RFQ maker service (`sim/maker.ts`) settled by TradeSettlement.
 */
import { existsSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import path from "node:path";
import { network } from "hardhat";
import { HDNodeWallet, Wallet, id as keccakId, type Contract, type JsonRpcProvider, type Signer } from "ethers";

import { buildPortfolioMarginModule } from "../ignition/modules/PortfolioMargin.js";
import type { DeploymentConfig } from "../ignition/modules/deploymentConfig.js";
import { ORDER_TYPES, type Order } from "../client/src/orders.js";
import { requestQuote, type Quote } from "../client/src/quote.js";
import type { AccountPlan } from "./portfolios.js";
import type { RiskModel } from "./riskModel.js";

/** The Ignition deployment id of the demonstration (its journal is removed before and after each run). */
export const DEPLOYMENT_ID = "local-sim";

/** Hardhat's default development mnemonic: the node's unlocked accounts (public test keys, never real funds). */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** The private key of the node's account `index` (a public Hardhat test key: local use only). */
export function hardhatTestKey(index: number): string {
  return HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey;
}

/** The deployed protocol. */
export interface Protocol {
  provider: JsonRpcProvider;
  admin: Signer;
  marketMaker: Signer;
  keeper: Signer;
  /** The keeper's private key (a Hardhat default test key), handed to the keeper process by environment. */
  keeperPrivateKey: string;
  vault: Contract;
  settlement: Contract;
  insuranceFund: Contract;
  /** Feeds by asset symbol, tokens by collateral index of the model. */
  feeds: Record<string, Contract>;
  tokens: Contract[];
  chainId: bigint;
  deployBlock: number;
}

/** Removes the demonstration's Ignition journal (the node is new each run, so the journal never applies). */
export function removeDeploymentJournal(root = process.cwd()): void {
  const deployments = path.join(root, "ignition", "deployments");
  rmSync(path.join(deployments, DEPLOYMENT_ID), { recursive: true, force: true });
  // Ignition creates the parent directory; leave it only when it holds other deployments.
  if (existsSync(deployments) && readdirSync(deployments).length === 0) rmdirSync(deployments);
}

/**
 * Deploys the protocol on the node at `url` with `config` through the Ignition module.
 *
 * @returns Contracts and the signers of the admin (#0), market maker (#1) and keeper (#2).
 */
export async function deployProtocol(url: string, config: DeploymentConfig, model: RiskModel): Promise<Protocol> {
  const connection = await network.connect({ network: "localhost", override: { url } });
  const { ethers, ignition } = connection;
  const [admin, marketMaker, keeper] = await ethers.getSigners();
  const deployBlock = await ethers.provider.getBlockNumber();
  removeDeploymentJournal();
  const deployed = await ignition.deploy(buildPortfolioMarginModule(config), { deploymentId: DEPLOYMENT_ID });
  removeDeploymentJournal();
  const keeperWallet = new Wallet(hardhatTestKey(2));
  if (keeperWallet.address !== keeper!.address) throw new Error("the node's account #2 is not Hardhat's default test account");
  const feeds: Record<string, Contract> = {};
  for (const symbol of model.assets) feeds[symbol] = deployed[`feed_${symbol}`] as Contract;
  return {
    provider: ethers.provider as unknown as JsonRpcProvider,
    admin: admin!,
    marketMaker: marketMaker!,
    keeper: keeper!,
    keeperPrivateKey: keeperWallet.privateKey,
    vault: deployed.vault as Contract,
    settlement: deployed.settlement as Contract,
    insuranceFund: deployed.insuranceFund as Contract,
    feeds,
    tokens: model.collaterals.map((c) => deployed[`token_${c.symbol}`] as Contract),
    chainId: (await ethers.provider.getNetwork()).chainId,
    deployBlock,
  };
}

export { ORDER_TYPES, type Order };

/** The wallet of demonstration account `index`: a key derived from a fixed label (test-only keys). */
export function accountWallet(index: number): Wallet {
  return new Wallet(keccakId(`portfolio-margin local demo account ${index}`));
}

// feed: a MockAggregator round also stores its history (two new slots) for `getRoundData`.
const GAS = { settle: 2_500_000n, deposit: 400_000n, feed: 150_000n } as const;

/** Sends a transaction and fails with `what` when it reverts. */
async function send(what: string, tx: Promise<{ wait(): Promise<unknown> }>): Promise<void> {
  try {
    const sent = await tx;
    await sent.wait();
  } catch (error) {
    throw new Error(`${what} failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`, { cause: error });
  }
}

/**
 * Sets every feed to `answers` (8-decimal answers by asset symbol; USD is left at 1) and waits for each update.
 */
export async function setFeeds(protocol: Protocol, answers: Record<string, bigint>): Promise<void> {
  for (const [symbol, answer] of Object.entries(answers)) {
    const feed = protocol.feeds[symbol];
    if (feed === undefined) throw new Error(`no feed for ${symbol}`);
    await send(`setAnswer ${symbol}`, (feed.connect(protocol.admin) as Contract).setAnswer(answer, { gasLimit: GAS.feed }));
  }
}

/**
 * Sends the feed updates of one block without waiting (automine off) and with a zero priority fee, so that the
 * node orders every transaction already waiting (the keeper's liquidations, which tip) before the price move.
 *
 * @returns The transactions, to check once mined.
 */
export async function sendFeedUpdates(protocol: Protocol, answers: Record<string, bigint>): Promise<{ wait(): Promise<unknown> }[]> {
  const latest = await protocol.provider.getBlock("latest");
  const maxFeePerGas = (latest?.baseFeePerGas ?? 1_000_000_000n) * 2n + 1n;
  const sent = [];
  for (const [symbol, answer] of Object.entries(answers)) {
    const feed = protocol.feeds[symbol];
    if (feed === undefined) throw new Error(`no feed for ${symbol}`);
    sent.push(await (feed.connect(protocol.admin) as Contract).setAnswer(answer, { gasLimit: GAS.feed, maxFeePerGas, maxPriorityFeePerGas: 0n }));
  }
  return sent;
}

/** Mints `amount` of collateral `index` to the admin and approves `spender` for it. */
async function mintAndApprove(protocol: Protocol, index: number, amount: bigint, spender: string): Promise<void> {
  const token = protocol.tokens[index]!.connect(protocol.admin) as Contract;
  await send("mint", token.mint(await protocol.admin.getAddress(), amount));
  await send("approve", token.approve(spender, amount));
}

/** Options of `fundParticipants`. */
export interface FundParticipantsParameters {
  protocol: Protocol;
  model: RiskModel;
  /** USD (whole) of USDC for the market maker, the keeper and the insurance fund. */
  marketMakerUsd: bigint;
  keeperUsd: bigint;
  insuranceFundUsd: bigint;
}

/** Deposits USDC for the market maker and the keeper in the vault, and seeds the insurance fund (ERC-4626). */
export async function fundParticipants(parameters: FundParticipantsParameters): Promise<void> {
  const { protocol, model } = parameters;
  const usdc = model.collateralOf["USD"]!;
  const unit = 10n ** BigInt(model.collaterals[usdc]!.decimals);
  const vaultAddress = await protocol.vault.getAddress();
  const vault = protocol.vault.connect(protocol.admin) as Contract;
  const token = await protocol.tokens[usdc]!.getAddress();
  await mintAndApprove(protocol, usdc, (parameters.marketMakerUsd + parameters.keeperUsd) * unit, vaultAddress);
  // The admin deposits for them as their operator (a stranger may only add to a token an account holds).
  const adminAddress = await protocol.admin.getAddress();
  for (const [who, signer] of [["market maker", protocol.marketMaker], ["keeper", protocol.keeper]] as const) {
    await send(`operator (${who})`, (protocol.vault.connect(signer) as Contract).setOperator(adminAddress, true));
  }
  await send("deposit (market maker)", vault.deposit(token, parameters.marketMakerUsd * unit, await protocol.marketMaker.getAddress(), { gasLimit: GAS.deposit }));
  await send("deposit (keeper)", vault.deposit(token, parameters.keeperUsd * unit, await protocol.keeper.getAddress(), { gasLimit: GAS.deposit }));
  const fundAddress = await protocol.insuranceFund.getAddress();
  await mintAndApprove(protocol, usdc, parameters.insuranceFundUsd * unit, fundAddress);
  const fund = protocol.insuranceFund.connect(protocol.admin) as Contract;
  await send("insurance fund deposit", fund.deposit(parameters.insuranceFundUsd * unit, await protocol.admin.getAddress()));
}

/**
 * Asks the maker for the other side of a taker's trade of `size` (signed WAD base units: > 0 buys) on `market`.
 *
 * @throws QuoteRefusedError with the maker's reason.
 */
export function quoteFor(makerUrl: string, market: number, size: bigint): Promise<Quote> {
  return requestQuote(makerUrl, { market, side: size > 0n ? "buy" : "sell", size: size > 0n ? size : -size });
}

/** Options of `openAccounts`. */
export interface OpenAccountsParameters {
  protocol: Protocol;
  model: RiskModel;
  plans: readonly AccountPlan[];
  /** The RFQ maker's URL (`sim/maker.ts`): every leg is one quote of the market maker's. */
  makerUrl: string;
  /** Called after each account is open. */
  onAccount?: (plan: AccountPlan, address: string) => void;
}

/**
 * Opens every planned account as a trader would: the account approves the admin as its operator (gas given with
 * `hardhat_setBalance`) and the admin deposits its collateral for it (and may later withdraw its profit to it); then
 * for each leg the account asks the RFQ maker for a quote, signs its own side (EIP-712) at the quoted price and
 * settles it through `TradeSettlement.settleTrade`, in the plan's chunks (partial fills of the same two orders).
 *
 * @returns The accounts' addresses, in plan order.
 * @throws QuoteRefusedError when the maker refuses a leg (its reason: stale feed, its own IM, a limit).
 */
export async function openAccounts(parameters: OpenAccountsParameters): Promise<string[]> {
  const { protocol, model, plans, makerUrl } = parameters;
  const vaultAddress = await protocol.vault.getAddress();
  const settlementAddress = await protocol.settlement.getAddress();
  const domain = { name: "PortfolioMargin TradeSettlement", version: "1", chainId: protocol.chainId, verifyingContract: settlementAddress };

  const totals = model.collaterals.map(() => 0n);
  for (const plan of plans) for (const d of plan.deposits) totals[d.collateral] = totals[d.collateral]! + d.units;
  for (let i = 0; i < totals.length; i++) if (totals[i]! > 0n) await mintAndApprove(protocol, i, totals[i]!, vaultAddress);
  const tokenAddresses = await Promise.all(protocol.tokens.map((t) => t.getAddress()));

  const vault = protocol.vault.connect(protocol.admin) as Contract;
  const addresses: string[] = [];

  // The quotes of the next account are asked while this one's transactions are mined (the maker counts them as
  // reserved, so its checks hold): the maker's reads and the node's blocks overlap instead of taking turns.
  const quotesOf = (plan: AccountPlan): Promise<Quote[]> => Promise.all(plan.legs.map((leg) => quoteFor(makerUrl, leg.market, leg.size)));
  let nextQuotes: Promise<Quote[]> | null = plans.length > 0 ? quotesOf(plans[0]!) : null;
  for (const [p, plan] of plans.entries()) {
    const quotes = await nextQuotes!;
    nextQuotes = p + 1 < plans.length ? quotesOf(plans[p + 1]!) : null;
    // A refused prefetch is thrown where it is awaited, with the account it was for.
    nextQuotes?.catch(() => undefined);
    const wallet = accountWallet(plan.index).connect(protocol.provider);
    addresses.push(wallet.address);
    await protocol.provider.send("hardhat_setBalance", [wallet.address, "0x16345785D8A0000"]); // 0.1 ETH of gas
    await send(`operator for account ${plan.index}`, (protocol.vault.connect(wallet) as Contract).setOperator(await protocol.admin.getAddress(), true));
    for (const d of plan.deposits) {
      await send(`deposit for account ${plan.index}`, vault.deposit(tokenAddresses[d.collateral]!, d.units, wallet.address, { gasLimit: GAS.deposit }));
    }
    // One quote per leg: the plan's chunks are partial fills of the maker's order.
    const legOrders = [];
    for (const [i, leg] of plan.legs.entries()) {
      const quote = quotes[i]!;
      const mine: Order = { account: wallet.address, market: BigInt(leg.market), size: leg.size, limitPrice: quote.price, nonce: BigInt(i + 1), expiry: quote.order.expiry };
      legOrders.push({ mine, signature: await wallet.signTypedData(domain, ORDER_TYPES, mine), quote });
    }
    const settlement = protocol.settlement.connect(wallet) as Contract;
    for (const fill of plan.fills) {
      const { mine, signature, quote } = legOrders[fill.leg]!;
      const accountBuys = fill.size > 0n;
      const size = accountBuys ? fill.size : -fill.size;
      const [buy, buySig, sell, sellSig] = accountBuys ? [mine, signature, quote.order, quote.signature] : [quote.order, quote.signature, mine, signature];
      await send(`trade of account ${plan.index} (${plan.description})`, settlement.settleTrade(buy, buySig, sell, sellSig, size, quote.price, { gasLimit: GAS.settle }));
    }
    parameters.onAccount?.(plan, wallet.address);
  }
  return addresses;
}
