/**
 * The end of a local run: every account still holding positions closes them through the RFQ maker service (a quote
 * of the market maker's at the oracle price), debtors' losses are netted into the settlement pool (`settleCash`, and a debtor-collateral sale when a
 * debtor's USDC is not enough), and every account that closed in profit withdraws its USDC, profit included, paid
 * in tokens (docs/cash.md). The admin does it all as each account's operator. The debtors are the run's accounts, the
 * market maker and the keeper (the slices it took over carry their own losses). What no debtor can pay (unbacked bad
 * debt) leaves the last creditors unpaid, first come first served as in docs/cash.md: reported, not an error.
 */
import { Contract, type Interface } from "ethers";

import { marginVaultAbi } from "../client/src/abi/generated.js";
import { quoteFor, type Protocol } from "./chain.js";
import { usd } from "./report.js";
import type { RiskModel } from "./riskModel.js";

/** What `closeAndWithdrawProfits` did. */
export interface CashOutcome {
  /** Accounts whose positions were closed at the end. */
  closed: number;
  /** Accounts that closed in profit and withdrew it. */
  profitable: number;
  /** Positive cash paid out in USDC (WAD USD, the sum of the CashPaid events). */
  profitWithdrawn: bigint;
  /** Positive cash the pool could not pay (WAD USD): owed to creditors until bad debt is repaid. */
  profitUnpaid: bigint;
  /** Creditors left (partly) unpaid. */
  unpaidCreditors: number;
  /** Debtor-collateral sales needed for it. */
  sales: number;
  /** The settlement pool left (WAD USD). */
  poolLeft: bigint;
  /** The insurance fund at the end: tokens held, its vault cash, and its shareholders' claim (totalAssets), WAD USD. */
  fund: { tokens: bigint; vaultCash: bigint; claims: bigint };
}

const GAS = 2_500_000n;

async function mined(what: string, tx: Promise<{ wait(): Promise<unknown> }>): Promise<{ logs?: unknown }> {
  try {
    return (await (await tx).wait()) as { logs?: unknown };
  } catch (error) {
    throw new Error(`${what} failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`, { cause: error });
  }
}

/**
 * Closes every position of `accounts` through the RFQ maker, nets debts, and withdraws every profit.
 *
 * @param protocol The deployed protocol (the admin is the operator of the accounts and of the market maker).
 * @param model The risk model (markets, collateral order).
 * @param accounts The accounts' addresses.
 * @param makerUrl The RFQ maker's URL (`sim/maker.ts`): every close is one of its quotes.
 */
export async function closeAndWithdrawProfits(
  protocol: Protocol,
  model: RiskModel,
  accounts: readonly string[],
  makerUrl: string,
): Promise<CashOutcome> {
  // The replay leaves automine off (it mines one block per step): every transaction here is mined as it is sent.
  await protocol.provider.send("evm_setAutomine", [true]);
  const admin = protocol.admin;
  const vault = protocol.vault.connect(admin) as Contract;
  const vaultAddress = await vault.getAddress();
  const cash = new Contract(vaultAddress, marginVaultAbi, admin);
  const settlement = protocol.settlement.connect(admin) as Contract;
  const mm = await protocol.marketMaker.getAddress();
  const usdcIndex = model.collateralOf["USD"]!;
  const usdc = protocol.tokens[usdcIndex]!.connect(admin) as Contract;
  const scale = 10n ** BigInt(18 - model.collaterals[usdcIndex]!.decimals);
  let nonce = 1n << 64n; // above every nonce the opening used

  // One leg at a time: closing one leg of a hedge can raise the account's margin, so a leg refused on the first pass
  // is tried again once the account's other legs are closed; an account that still cannot close stays open.
  const sizes = await Promise.all(
    accounts.map((account) => Promise.all(model.markets.map((_, market) => vault.position(account, market) as Promise<bigint>))),
  );
  // The account (the admin submits as its operator) takes the RFQ maker's quote for the opposite of its position.
  const close = async (account: string, market: number, size: bigint): Promise<boolean> => {
    try {
      const quote = await quoteFor(makerUrl, market, -size);
      const mine = { account, market: BigInt(market), size: -size, limitPrice: quote.price, nonce: nonce++, expiry: quote.order.expiry };
      const [buy, buySig, sell, sellSig] = size < 0n ? [mine, "0x", quote.order, quote.signature] : [quote.order, quote.signature, mine, "0x"];
      await (await settlement.settleTrade(buy, buySig, sell, sellSig, size < 0n ? -size : size, quote.price, { gasLimit: GAS })).wait();
      return true;
    } catch {
      return false;
    }
  };
  let closed = 0;
  for (const [i, account] of accounts.entries()) {
    let refused = sizes[i]!.map((size, market) => ({ size, market })).filter((leg) => leg.size !== 0n);
    if (refused.length === 0) continue;
    for (let pass = 0; pass < 2 && refused.length > 0; pass++) {
      const next = [];
      for (const leg of refused) if (!(await close(account, leg.market, leg.size))) next.push(leg);
      refused = next;
    }
    if (refused.length === 0) closed++;
  }

  // Every debtor's own USDC first (the market maker's and the keeper's included).
  const debtors = [...accounts, mm, await protocol.keeper.getAddress()];
  const debts = await Promise.all(debtors.map((account) => vault.cash(account) as Promise<bigint>));
  await Promise.all(
    debtors.filter((_, i) => debts[i]! < 0n).map((account) => mined(`settleCash(${account})`, cash.settleCash(account, { gasLimit: GAS }))),
  );

  const iface: Interface = cash.interface;
  let profitWithdrawn = 0n;
  let profitUnpaid = 0n;
  let unpaidCreditors = 0;
  let profitable = 0;
  let sales = 0;
  for (const account of accounts) {
    const accountCash: bigint = await vault.cash(account);
    let units = accountCash / scale;
    if (units <= 0n) continue;
    if (((await cash.cashPool()) as [bigint, string])[0] < units) sales += await sellDebtorCollateral(protocol, model, cash, debtors, account);
    const [pool] = (await cash.cashPool()) as [bigint, string];
    if (pool < units) {
      // Short even after every debtor paid: unbacked bad debt. This creditor takes what is there, the rest waits.
      profitUnpaid += (units - pool) * scale;
      unpaidCreditors++;
      units = pool;
    }
    if (units === 0n) continue;
    const balance: bigint = await vault.collateralBalance(account, usdc);
    const receipt = await mined(`profit withdrawal of ${account}`, vault.withdraw(usdc, balance + units, account, account, { gasLimit: GAS }));
    for (const log of (receipt.logs ?? []) as { topics: string[]; data: string }[]) {
      const parsed = iface.parseLog(log);
      if (parsed?.name === "CashPaid") profitWithdrawn += (parsed.args[1] as bigint) * scale;
    }
    profitable++;
  }

  const fundAddress = await protocol.insuranceFund.getAddress();
  const fundCash: bigint = await vault.cash(fundAddress);
  const [poolLeft] = (await cash.cashPool()) as [bigint, string];
  return {
    closed,
    profitable,
    profitWithdrawn,
    profitUnpaid,
    unpaidCreditors,
    sales,
    poolLeft: poolLeft * scale,
    fund: {
      tokens: ((await usdc.balanceOf(fundAddress)) as bigint) * scale,
      vaultCash: fundCash,
      claims: ((await protocol.insuranceFund.totalAssets()) as bigint) * scale,
    },
  };
}

/** Buys debtors' non-USDC collateral (minted for the admin) until the pool can pay `creditor`. Returns the sales. */
async function sellDebtorCollateral(
  protocol: Protocol,
  model: RiskModel,
  cash: Contract,
  debtors: readonly string[],
  creditor: string,
): Promise<number> {
  const usdcIndex = model.collateralOf["USD"]!;
  const usdc = protocol.tokens[usdcIndex]!.connect(protocol.admin) as Contract;
  const vaultAddress = await cash.getAddress();
  await mined("mint (buyer)", usdc.mint(await protocol.admin.getAddress(), 10n ** 15n));
  await mined("approve (buyer)", usdc.approve(vaultAddress, 10n ** 15n));
  let sales = 0;
  for (const debtor of debtors) {
    if (((await cash.cash(debtor)) as bigint) >= 0n) continue;
    for (const [index, token] of protocol.tokens.entries()) {
      if (index === usdcIndex) continue;
      const balance: bigint = await cash.collateralBalance(debtor, token);
      if (balance === 0n) continue;
      try {
        await (await cash.buyDebtorCollateral(debtor, token, balance, creditor, { gasLimit: GAS })).wait();
        sales++;
      } catch {
        // Not short any more for this creditor, or this debtor owes no loss: the next one.
      }
      const [pool] = (await cash.cashPool()) as [bigint, string];
      const creditorUnits = ((await cash.cash(creditor)) as bigint) / 10n ** BigInt(18 - model.collaterals[usdcIndex]!.decimals);
      if (pool >= creditorUnits) return sales;
    }
  }
  return sales;
}

/** The report's lines on cash settlement. */
export function cashReportLines(outcome: CashOutcome): string[] {
  const f = outcome.fund;
  const liquid = f.tokens + (f.vaultCash > 0n ? f.vaultCash : 0n);
  return [
    `- **Realised profit withdrawn in USDC: ${usd(outcome.profitWithdrawn)}** by the ${outcome.profitable} accounts that closed in profit ` +
      `(${outcome.closed} accounts closed their positions through the RFQ maker at the end; debts netted with \`settleCash\`` +
      `${outcome.sales > 0 ? `, ${outcome.sales} debtor-collateral sales` : ""}; settlement pool left ${usd(outcome.poolLeft)}).`,
    ...(outcome.unpaidCreditors > 0
      ? [`- **Profit not yet payable: ${usd(outcome.profitUnpaid)}** owed to ${outcome.unpaidCreditors} accounts: every debtor paid and the pool is empty (unbacked bad debt, repaid from later bonus shares; docs/cash.md).`]
      : []),
    `- Insurance fund at the end: tokens ${usd(f.tokens)} + vault cash ${usd(f.vaultCash)} = ${usd(liquid)} against its shareholders' claims ` +
      `(totalAssets, income still streaming excluded) ${usd(f.claims)}.`,
  ];
}
