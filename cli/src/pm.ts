/**
 * The trader's CLI: `npm run pm -- <command>`. Reads the deployment file that `npm start -- --keep-running` writes
 * (or --deployment / --rpc), signs with a key from an environment variable or an encrypted keystore (never printed),
 * and prints human tables or, with --json, exact JSON.
 *
 *   npm run pm -- account                      margin, exposures, max withdrawable, liquidation prices
 *   npm run pm -- deposit 1000 USDC
 *   npm run pm -- quote ETH buy 2              ask the RFQ maker, show the margin after
 *   npm run pm -- trade ETH buy 2              quote, sign the taker's side, settle
 *   npm run pm -- what-if --shock -10%         margin after a change, nothing sent
 *   npm run pm -- withdraw max USDC
 *
 * Exit codes: 0 done, 1 refused or failed (one line saying why), 2 bad input.
 */
import { Command, CommanderError, Option } from "commander";
import { formatUnits, getAddress, isAddress, parseAbi, type Address } from "viem";

import { marginVaultAbi } from "../../client/src/abi/generated.js";
import { connect, type PortfolioMarginClient } from "../../client/src/client.js";
import { loadDeploymentFile, type DeploymentFile } from "../../client/src/deploymentFile.js";
import { ContractError, PortfolioMarginError, UsageError, redact } from "../../client/src/errors.js";
import { formatUsd } from "../../client/src/format.js";
import { requestQuote, type Quote } from "../../client/src/quote.js";
import { maxWithdrawable, riskView, tradeImpact, whatIf, withdrawImpact, type Impact, type ProposedTrade } from "../../client/src/risk.js";
import { loadSigner, type KeySource } from "../../client/src/signer.js";
import { accountReport, accountText, figures, figuresTable, toJson } from "./render.js";
import { parseAsset, parseDecimal, parseMarket, parseShockBps, parseSide, parseToken, splitPair } from "./parse.js";

/** The default deployment file (written by `npm start -- --keep-running`). */
const DEFAULT_DEPLOYMENT = "deployments/localhost.json";

interface GlobalOptions {
  deployment: string;
  rpc?: string;
  maker?: string;
  keyEnv: string;
  keystore?: string;
  passwordEnv: string;
  json?: boolean;
}

const program = new Command()
  .name("pm")
  .description("Trade on portfolio-margin: deposit, quote, trade, see your margin, withdraw")
  .addOption(new Option("--deployment <file>", "deployment file (rpcUrl, vault, settlement, makerUrl)").env("PM_DEPLOYMENT").default(DEFAULT_DEPLOYMENT))
  .addOption(new Option("--rpc <url>", "JSON-RPC URL (overrides the deployment file's)").env("PM_RPC_URL"))
  .addOption(new Option("--maker <url>", "RFQ maker URL (overrides the deployment file's)").env("PM_MAKER_URL"))
  .option("--key-env <name>", "environment variable holding your private key", "PM_PRIVATE_KEY")
  .option("--keystore <path>", "encrypted JSON keystore instead of --key-env")
  .option("--password-env <name>", "environment variable holding the keystore's password", "PM_KEYSTORE_PASSWORD")
  .option("--json", "print JSON (exact integers as strings)")
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text.split("\n")[0]! + "\n") });

const globals = (): GlobalOptions => program.opts<GlobalOptions>();

let deploymentFile: DeploymentFile | undefined;
function deployment(): DeploymentFile {
  return (deploymentFile ??= loadDeploymentFile(globals().deployment));
}

async function client(withKey: boolean): Promise<PortfolioMarginClient> {
  const o = globals();
  const file = deployment();
  let account;
  if (withKey) {
    const key: KeySource = o.keystore ? { keystore: { path: o.keystore, passwordEnv: o.passwordEnv } } : { privateKeyEnv: o.keyEnv };
    account = await loadSigner({ key, settings: { privateKeyEnv: "--key-env", passwordEnv: "--password-env", keystore: "--keystore", path: "--keystore" } });
  }
  return connect({ rpcUrl: o.rpc ?? file.rpcUrl, addresses: file, account });
}

function makerUrl(): string {
  const url = globals().maker ?? deployment().makerUrl;
  if (url === undefined) throw new UsageError("No RFQ maker configured.", { metaMessages: ["Pass --maker <url> or set makerUrl in the deployment file."] });
  return url;
}

function print(human: string, json: unknown): void {
  console.log(globals().json ? toJson(json) : human);
}

function impactText(impact: Pick<Impact, "before" | "after">): string {
  return figuresTable(impact.before, impact.after);
}

function address(text: string, what: string): Address {
  if (!isAddress(text, { strict: false })) throw new UsageError(`${what} "${text}" is not an address.`);
  return getAddress(text);
}

/** The token and amount arguments of a command, parsed against the deployment. */
async function tokenAndAmount(pm: PortfolioMarginClient, tokenText: string, amountText: string) {
  const token = parseToken(await pm.getDeployment(), tokenText);
  return { token, amount: parseDecimal(amountText, token.decimals, "The amount", { positive: true }) };
}

/** Sends a call to a local mock contract (a token's mint, a feed's setAnswer); `failure` says what could not be done. */
async function sendToMock(pm: PortfolioMarginClient, call: { address: Address; abi: readonly unknown[]; functionName: string; args: readonly unknown[] }, failure: string): Promise<void> {
  const wallet = pm.walletClient!;
  try {
    const hash = await wallet.writeContract({ ...(call as any), account: wallet.account!, chain: wallet.chain ?? null });
    await pm.publicClient.waitForTransactionReceipt({ hash });
  } catch (cause) {
    throw new PortfolioMarginError(failure, { cause });
  }
}

program
  .command("account")
  .description("your margin: E, MM, IM, E/MM, regimes, exposures and WS per asset, max withdrawable, liquidation prices")
  .argument("[address]", "another account (read-only)")
  .action(async (who?: string) => {
    const pm = await client(who === undefined);
    const snapshot = await pm.getAccount(who === undefined ? undefined : address(who, "The account"));
    const report = accountReport(snapshot, riskView(snapshot));
    print(accountText(report), report);
  });

program
  .command("deposit")
  .description("deposit collateral (approves the vault first if needed)")
  .argument("<amount>", "amount in token units, e.g. 1000")
  .argument("<token>", "collateral symbol, e.g. USDC")
  .action(async (amountText: string, tokenText: string) => {
    const pm = await client(true);
    const { token, amount } = await tokenAndAmount(pm, tokenText, amountText);
    const receipt = await pm.deposit({ token: token.symbol, amount });
    const view = await pm.getRisk();
    print(`deposited ${formatUnits(amount, token.decimals)} ${token.symbol} (tx ${receipt.transactionHash})\n\n${figuresTable(view)}`, {
      transactionHash: receipt.transactionHash,
      token: token.symbol,
      amount,
      ...figures(view),
    });
  });

program
  .command("withdraw")
  .description("withdraw collateral; `max` withdraws the most that keeps E >= IM")
  .argument("<amount>", "amount in token units, or max")
  .argument("<token>", "collateral symbol, e.g. USDC")
  .option("--to <address>", "receiver (default: you)")
  .action(async (amountText: string, tokenText: string, options: { to?: string }) => {
    const pm = await client(true);
    const snapshot = await pm.getAccount();
    const token = parseToken(snapshot.deployment, tokenText);
    const amount = amountText.trim().toLowerCase() === "max" ? maxWithdrawable(snapshot, token.id) : parseDecimal(amountText, token.decimals, "The amount", { positive: true });
    if (amount === 0n) throw new UsageError(`Nothing of ${token.symbol} can be withdrawn now (E - IM leaves no room, or no balance).`);
    const impact = withdrawImpact(snapshot, token.id, amount);
    const receipt = await pm.withdraw({ token: token.symbol, amount, receiver: options.to === undefined ? undefined : address(options.to, "--to") });
    const view = await pm.getRisk();
    print(`withdrew ${formatUnits(amount, token.decimals)} ${token.symbol} (tx ${receipt.transactionHash})\n\n${figuresTable(view)}`, {
      transactionHash: receipt.transactionHash,
      token: token.symbol,
      amount,
      predicted: figures(impact.after),
      ...figures(view),
    });
  });

program
  .command("faucet")
  .description("local deployments only: mint mock collateral tokens to your wallet")
  .argument("<amount>", "amount in token units")
  .argument("<token>", "collateral symbol, e.g. USDC")
  .action(async (amountText: string, tokenText: string) => {
    const pm = await client(true);
    const { token, amount } = await tokenAndAmount(pm, tokenText, amountText);
    const abi = parseAbi(["function mint(address to, uint256 amount)"]);
    await sendToMock(pm, { address: token.token, abi, functionName: "mint", args: [pm.address, amount] }, `${token.symbol} cannot be minted here (not a mock token?).`);
    print(`minted ${formatUnits(amount, token.decimals)} ${token.symbol} to ${pm.address}`, { token: token.symbol, amount, to: pm.address });
  });

program
  .command("set-price")
  .description("local deployments only: publish a price on a mock feed (to watch your margin move)")
  .argument("<asset>", "e.g. ETH")
  .argument("<price>", "USD, e.g. 2500")
  .action(async (assetText: string, priceText: string) => {
    const pm = await client(true);
    const d = await pm.getDeployment();
    const asset = d.assets[parseAsset(d, assetText)]!;
    const answer = parseDecimal(priceText, asset.feedDecimals, "The price", { positive: true });
    const abi = parseAbi(["function setAnswer(int256 answer)"]);
    await sendToMock(pm, { address: asset.feed, abi, functionName: "setAnswer", args: [answer] }, `The ${asset.symbol} feed cannot be set here (not a mock feed?).`);
    print(`${asset.symbol} = ${formatUnits(answer, asset.feedDecimals)} USD`, { asset: asset.symbol, price: answer * 10n ** BigInt(18 - asset.feedDecimals) });
  });

async function quoteFor(pm: PortfolioMarginClient, marketText: string, sideText: string, sizeText: string) {
  const snapshot = await pm.getAccount();
  const market = parseMarket(snapshot.deployment, marketText);
  const side = parseSide(sideText);
  const size = parseDecimal(sizeText, 18, "The size", { positive: true });
  const quote: Quote = await requestQuote(makerUrl(), { market: market.id, side, size });
  const trade: ProposedTrade = { market: market.id, size: side === "buy" ? size : -size, price: quote.price };
  return { snapshot, market, side, size, quote, impact: tradeImpact(snapshot, trade) };
}

function quoteJson(q: Awaited<ReturnType<typeof quoteFor>>) {
  return {
    market: q.market.symbol,
    side: q.side,
    size: q.size,
    price: q.quote.price,
    oraclePrice: q.quote.oraclePrice,
    expiry: q.quote.order.expiry,
    maker: q.quote.order.account,
    accepted: q.impact.accepted,
    before: figures(q.impact.before),
    after: figures(q.impact.after),
  };
}

function quoteLine(q: Awaited<ReturnType<typeof quoteFor>>): string {
  return `${q.side} ${formatUnits(q.size, 18)} ${q.market.symbol} at ${formatUsd(q.quote.price)} (oracle ${formatUsd(q.quote.oraclePrice)}), valid until ${new Date(Number(q.quote.order.expiry) * 1000).toISOString()}`;
}

program
  .command("quote")
  .description("ask the RFQ maker for a price and show your margin after the trade (nothing is signed)")
  .argument("<market>", "e.g. ETH or ETH-PERP")
  .argument("<side>", "buy or sell")
  .argument("<size>", "base units, e.g. 1.5")
  .action(async (marketText: string, sideText: string, sizeText: string) => {
    const pm = await client(true);
    const q = await quoteFor(pm, marketText, sideText, sizeText);
    print(`${quoteLine(q)}\n\n${impactText(q.impact)}${q.impact.accepted ? "" : `\n\nthe vault would refuse it: ${q.impact.reason}`}`, quoteJson(q));
  });

program
  .command("trade")
  .description("get a quote, sign your side and settle it")
  .argument("<market>", "e.g. ETH or ETH-PERP")
  .argument("<side>", "buy or sell")
  .argument("<size>", "base units, e.g. 1.5")
  .action(async (marketText: string, sideText: string, sizeText: string) => {
    const pm = await client(true);
    const q = await quoteFor(pm, marketText, sideText, sizeText);
    if (!q.impact.accepted) throw new PortfolioMarginError(`Not sent: ${q.impact.reason}.`);
    const { receipt } = await pm.takeQuote({ quote: q.quote });
    const view = await pm.getRisk();
    print(`traded: ${quoteLine(q)} (tx ${receipt.transactionHash})\n\n${figuresTable(view)}`, { transactionHash: receipt.transactionHash, ...quoteJson(q), after: figures(view) });
  });

program
  .command("settle-cash")
  .description("pay an account's negative USD cash from its own USDC into the settlement pool, which pays profits (anyone may settle any account)")
  .argument("[account]", "the debtor to settle (default: your account)")
  .action(async (who: string | undefined) => {
    const pm = await client(true);
    const account = who === undefined ? pm.address : address(who, "The account");
    const before = await pm.getAccount(account);
    const usdc = before.deployment.collaterals.find((c) => c.asset === 0);
    const balance = usdc === undefined ? 0n : (before.state.balances[usdc.id] ?? 0n);
    const cash = before.state.cash;
    if (cash >= 0n || balance === 0n) {
      const why = cash >= 0n
        ? `its cash is ${formatUsd(cash)} USD: only negative cash is settled (positive cash is paid in ${usdc?.symbol ?? "USDC"} by withdraw)`
        : `it holds no ${usdc?.symbol ?? "USDC"}: its other collateral can be sold for its debt instead (buyDebtorCollateral, docs/cash.md)`;
      print(`nothing to settle for ${account}: ${why}`, { account, settledUnits: "0", cash: cash.toString() });
      return;
    }
    const receipt = await pm.settleCash({ account });
    const after = await pm.getAccount(account);
    const units = balance - (after.state.balances[usdc!.id] ?? 0n);
    const [pool] = await pm.publicClient.readContract({ address: pm.addresses.vault, abi: marginVaultAbi, functionName: "cashPool" });
    const view = riskView(after);
    print(
      `settled ${formatUnits(units, usdc!.decimals)} ${usdc!.symbol} of ${account}'s negative cash into the settlement pool ` +
        `(cash ${formatUsd(cash)} -> ${formatUsd(after.state.cash)} USD; pool ${formatUnits(pool, usdc!.decimals)} ${usdc!.symbol}; tx ${receipt.transactionHash})\n\n${figuresTable(view)}`,
      { transactionHash: receipt.transactionHash, account, settledUnits: units.toString(), cash: after.state.cash.toString(), pool: pool.toString(), ...figures(view) },
    );
  });

const collect = (value: string, previous: string[] = []) => [...previous, value];

program
  .command("what-if")
  .description("your margin after trades, new positions, prices or a uniform shock; nothing is sent")
  .option("--trade <market=size>", "a trade at the oracle price (size > 0 buys), repeatable", collect)
  .option("--position <market=size>", "set a position (replaces it), repeatable", collect)
  .option("--price <asset=price>", "set a price in USD, repeatable", collect)
  .option("--shock <percent>", "move every non-USD price, e.g. -10%")
  .option("--withdraw <token=amount>", "withdraw collateral")
  .argument("[address]", "another account (read-only)")
  .action(async (who: string | undefined, options: { trade?: string[]; position?: string[]; price?: string[]; shock?: string; withdraw?: string }) => {
    const pm = await client(who === undefined);
    const snapshot = await pm.getAccount(who === undefined ? undefined : address(who, "The account"));
    const d = snapshot.deployment;
    const trades = (options.trade ?? []).map((t) => {
      const [m, s] = splitPair(t, "--trade");
      return { market: parseMarket(d, m).id, size: parseDecimal(s, 18, "The size", { signed: true }) };
    });
    for (const t of trades) if (t.size === 0n) throw new UsageError("The size of a --trade must not be 0.");
    const positions: Record<number, bigint> = {};
    for (const p of options.position ?? []) {
      const [m, s] = splitPair(p, "--position");
      positions[parseMarket(d, m).id] = parseDecimal(s, 18, "The position", { signed: true });
    }
    const prices: Record<number, bigint> = {};
    for (const p of options.price ?? []) {
      const [a, v] = splitPair(p, "--price");
      prices[parseAsset(d, a)] = parseDecimal(v, 18, "The price", { positive: true });
    }
    let base = snapshot;
    if (options.withdraw !== undefined) {
      const [t, a] = splitPair(options.withdraw, "--withdraw");
      const token = parseToken(d, t);
      const w = withdrawImpact(snapshot, token.id, parseDecimal(a, token.decimals, "The amount", { positive: true }));
      if (!w.accepted) throw new PortfolioMarginError(`The vault would refuse this withdrawal: ${w.reason}.`);
      base = { ...snapshot, state: w.state };
    }
    const shockBps = options.shock === undefined ? undefined : parseShockBps(options.shock);
    const result = whatIf(base, { trades, positions, prices, shockBps });
    const before = riskView(snapshot);
    print(impactText({ before, after: result.after }), { before: figures(before), after: figures(result.after), assets: result.after.assets });
  });

function exitCode(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  return error instanceof UsageError ? 2 : 1;
}

try {
  await program.parseAsync(process.argv);
  process.exit(0);
} catch (error) {
  const code = exitCode(error);
  if (error instanceof CommanderError) {
    // Commander printed its one line already (help and version exit 0).
  } else if (error instanceof PortfolioMarginError) {
    const detail = error instanceof ContractError || error.details === "" ? [] : [`(${error.details.split("\n")[0]})`];
    const line = [error.shortMessage, ...error.metaMessages, ...detail].join(" ");
    console.error(globals().json ? JSON.stringify({ error: error.name, message: line }) : `error: ${line}`);
  } else {
    console.error(`error: ${redact(error instanceof Error ? error.message.split("\n")[0]! : String(error))}`);
  }
  process.exit(code);
}
