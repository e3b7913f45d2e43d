/**
 * `createPortfolioMarginClient`: the typed client of one deployment, on viem. Reads (the deployment, an account
 * snapshot at one block, its risk views) and writes (deposit, withdraw, settleCash, cancel / invalidate orders,
 * settle a trade or an RFQ quote), every write simulated first so that a refusal is a `ContractError` naming the
 * custom error and saying what to do, before anything is signed.
 */
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  erc20Abi,
  http,
  maxUint256,
  parseAbi,
  type Account,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from "viem";

import { marginVaultAbi, tradeSettlementAbi } from "./abi/generated.js";
import { decodeError, type DecodeErrorContext } from "./decodeError.js";
import {
  findCollateral,
  readDeployment,
  readListing,
  type CollateralInfo,
  type Deployment,
  type DeploymentAddresses,
  type Listing,
} from "./deployment.js";
import { ContractError, PortfolioMarginError, RpcError, UsageError, redactUrl } from "./errors.js";
import { ORDER_TYPES, orderDomain, type Order } from "./orders.js";
import type { Quote } from "./quote.js";
import { maxWithdrawable, riskView, type AccountSnapshot, type RiskView } from "./risk.js";

/**
 * `settleCash(address)` (cash settlement, issue 10). Called through this fragment so that it works against any vault
 * that has it, before and after the generated ABI includes it.
 */
const settleCashAbi = parseAbi(["function settleCash(address account)"]);

/** Options of `createPortfolioMarginClient`. */
export interface PortfolioMarginClientParameters {
  /** Reads. A batching transport (`http(url, { batch: true })`) keeps a snapshot to one HTTP request. */
  publicClient: PublicClient;
  /** Writes and signatures; its `account` is the trader. Omit for a read-only client. */
  walletClient?: WalletClient;
  /** The vault, the settlement contract and the vault's deployment block. */
  addresses: DeploymentAddresses;
}

/** Options of the writes that act for an account. */
export interface AccountWriteParameters {
  /** The account acted for. @default the wallet's account */
  account?: Address;
}

/** Options of `deposit`. */
export interface DepositParameters extends AccountWriteParameters {
  /** The collateral: symbol ("USDC"), address or collateral id. */
  token: string;
  /** Token units (e.g. 1_000_000n for 1 USDC). */
  amount: bigint;
  /** Approve the vault first when the allowance is short. @default true */
  approve?: boolean;
}

/** Options of `withdraw`. */
export interface WithdrawParameters extends AccountWriteParameters {
  token: string;
  amount: bigint;
  /** Who receives the tokens. @default the wallet's account */
  receiver?: Address;
}

/** A matched pair of orders to settle. */
export interface SettleTradeParameters {
  buy: Order;
  buySignature: Hex;
  sell: Order;
  sellSignature: Hex;
  /** WAD base units, > 0. */
  size: bigint;
  /** WAD. */
  price: bigint;
}

/** Options of `takeQuote`. */
export interface TakeQuoteParameters {
  quote: Quote;
  /** How much of the quote to fill (WAD base units). @default all of it */
  size?: bigint;
  /** The taker's order nonce. @default a time-based nonce */
  nonce?: bigint;
}

/** `takeQuote`'s result. */
export interface TakeQuoteReturnType {
  receipt: TransactionReceipt;
  /** The taker's signed order. */
  order: Order;
}

/** The client's errors. */
export type PortfolioMarginClientErrorType = ContractError | RpcError | UsageError;

/**
 * Creates a client for one deployment.
 *
 * @param parameters Public and wallet clients, and the contracts' addresses.
 * @returns Reads, risk views and writes.
 * @example
 * const pm = createPortfolioMarginClient({ publicClient, walletClient, addresses: { vault, settlement } });
 * await pm.deposit({ token: "USDC", amount: 1_000n * 10n ** 6n });
 * const view = await pm.getRisk(); // equity, MM, IM, E/MM, exposures...
 */
export function createPortfolioMarginClient(parameters: PortfolioMarginClientParameters) {
  const { publicClient, walletClient, addresses } = parameters;
  let listing: Promise<Listing> | undefined;
  const getListing = (): Promise<Listing> => (listing ??= readListing(publicClient, addresses).catch((error) => {
    listing = undefined;
    throw toClientError(error, "Reading the vault's listing");
  }));

  function trader(): Account {
    const account = walletClient?.account;
    if (account === undefined) throw new UsageError("This needs a signing key.", { metaMessages: ["Create the client with a wallet client that has an account."] });
    return account;
  }

  /** Wraps a failure: a decoded custom error, an unreachable endpoint, or the original error. */
  function toClientError(error: unknown, what: string, context: DecodeErrorContext = {}): PortfolioMarginError {
    if (error instanceof PortfolioMarginError) return error;
    const decoded = decodeError(error, context);
    if (decoded !== null) return new ContractError(`${what} refused: ${decoded.name}.`, { cause: error, decoded, metaMessages: [decoded.sentence] });
    const text = error instanceof Error ? error.message : String(error);
    if (/fetch failed|ECONNREFUSED|HTTP request failed|timed out|socket/i.test(text)) {
      return new RpcError(`${what} failed: the RPC endpoint does not answer.`, { cause: error, metaMessages: ["Check the RPC URL and that the node is running."] });
    }
    return new ContractError(`${what} failed.`, { cause: error, decoded: null, metaMessages: ["The call reverted without one of the protocol's errors; see the details."] });
  }

  /** The last deployment read: names tokens and markets in error sentences without reading it again. */
  let lastDeployment: Deployment | undefined;

  async function getDeployment(blockNumber?: bigint): Promise<Deployment> {
    try {
      return (lastDeployment = await readDeployment(publicClient, addresses, await getListing(), blockNumber));
    } catch (error) {
      throw toClientError(error, "Reading the deployment");
    }
  }

  function decodeContext(deployment: Deployment, extra: Partial<DecodeErrorContext> = {}): DecodeErrorContext {
    return {
      token: (address) => {
        const c = deployment.collaterals.find((x) => x.token.toLowerCase() === address.toLowerCase());
        return c && { symbol: c.symbol, decimals: c.decimals };
      },
      market: (id) => deployment.markets[Number(id)]?.symbol,
      ...extra,
    };
  }

  async function collateral(deployment: Deployment, token: string): Promise<CollateralInfo> {
    const c = findCollateral(deployment, token);
    if (c === undefined) {
      throw new UsageError(`"${token}" is not a listed collateral.`, { metaMessages: [`Listed: ${deployment.collaterals.map((x) => x.symbol).join(", ")}.`] });
    }
    return c;
  }

  /** Simulates, sends, waits; a revert at any stage becomes a ContractError with the decoded custom error. */
  async function send(what: string, request: any, context: DecodeErrorContext): Promise<TransactionReceipt> {
    const account = trader();
    let hash: Hex;
    try {
      const { request: simulated } = await publicClient.simulateContract({ ...request, account });
      hash = await walletClient!.writeContract({ ...(simulated as any), account, chain: walletClient!.chain ?? null });
    } catch (error) {
      throw toClientError(error, what, context);
    }
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") {
      // Another transaction got in first (the state changed after the simulation): the same call now says why.
      const again = await publicClient.simulateContract({ ...request, account }).then(
        () => null,
        (error: unknown) => toClientError(error, what, context),
      );
      if (again instanceof ContractError && again.decoded !== null) throw again;
      throw new ContractError(`${what} reverted on chain (transaction ${hash}).`, { decoded: null, metaMessages: ["The state changed between the simulation and the block; retry."] });
    }
    return receipt;
  }

  async function getAccount(account?: Address, options: { blockNumber?: bigint; deployment?: Deployment } = {}): Promise<AccountSnapshot> {
    const who = account ?? trader().address;
    try {
      const blockNumber = options.blockNumber ?? (await publicClient.getBlockNumber({ cacheTime: 0 }));
      // A caller that reads accounts often (the maker) may pass a deployment it read a moment ago: ~40 reads fewer.
      const deployment = options.deployment ?? (await getDeployment(blockNumber));
      const vault = { address: addresses.vault, abi: marginVaultAbi, blockNumber } as const;
      const [cash, balances, positions, prices] = await Promise.all([
        publicClient.readContract({ ...vault, functionName: "cash", args: [who] }),
        Promise.all(deployment.collaterals.map((c) => publicClient.readContract({ ...vault, functionName: "collateralBalance", args: [who, c.token] }))),
        Promise.all(deployment.markets.map((m) => publicClient.readContract({ ...vault, functionName: "position", args: [who, BigInt(m.id)] }))),
        Promise.all(
          deployment.assets.map((a) =>
            publicClient.readContract({ ...vault, functionName: "price", args: [BigInt(a.id)] }).then(
              (p) => p,
              () => 0n,
            ),
          ),
        ),
      ]);
      return {
        account: who,
        blockNumber,
        deployment,
        state: { cash, balances, positions },
        prices,
        unpriced: prices.flatMap((p, a) => (p === 0n ? [a] : [])),
      };
    } catch (error) {
      throw toClientError(error, "Reading the account");
    }
  }

  return {
    addresses,
    publicClient,
    walletClient,

    /** The wallet's account address (throws UsageError without a key). */
    get address(): Address {
      return trader().address;
    },

    /** Everything listed and the risk parameters, at a block (the latest by default). */
    getDeployment,

    /**
     * An account (the wallet's by default) read at one block: cash, balances, positions, prices and the deployment.
     * Every risk view of `risk.ts` takes it.
     */
    getAccount,

    /** The risk view of an account now: E, MM, IM, E/MM, regimes, exposures and WS per asset, free collateral. */
    async getRisk(account?: Address): Promise<RiskView> {
      return riskView(await getAccount(account));
    },

    /** Decodes any error of a call to the protocol (see `decodeError`). */
    decodeError,

    /**
     * Deposits `amount` of a listed token to an account (the wallet's by default), approving the vault first when
     * the allowance is short.
     */
    async deposit(p: DepositParameters): Promise<TransactionReceipt> {
      const deployment = await getDeployment();
      const c = await collateral(deployment, p.token);
      const owner = trader().address;
      const context = decodeContext(deployment);
      if (p.approve ?? true) {
        const allowance = await publicClient.readContract({ address: c.token, abi: erc20Abi, functionName: "allowance", args: [owner, addresses.vault] });
        if (allowance < p.amount) {
          await send(`Approving ${c.symbol}`, { address: c.token, abi: erc20Abi, functionName: "approve", args: [addresses.vault, maxUint256] }, context);
        }
      }
      return send(
        `Deposit of ${c.symbol}`,
        { address: addresses.vault, abi: marginVaultAbi, functionName: "deposit", args: [c.token, p.amount, p.account ?? owner] },
        context,
      );
    },

    /**
     * Withdraws `amount` of a token. A refusal for margin says how much can be withdrawn
     * (`ContractError.decoded.sentence`).
     */
    async withdraw(p: WithdrawParameters): Promise<TransactionReceipt> {
      const deployment = await getDeployment();
      const c = await collateral(deployment, p.token);
      const owner = trader().address;
      const account = p.account ?? owner;
      const request = { address: addresses.vault, abi: marginVaultAbi, functionName: "withdraw", args: [c.token, p.amount, account, p.receiver ?? owner] };
      try {
        return await send(`Withdrawal of ${c.symbol}`, request, decodeContext(deployment));
      } catch (error) {
        if (error instanceof ContractError && error.decoded?.name === "InsufficientMargin") {
          const max = maxWithdrawable(await getAccount(account), c.id);
          throw toClientError(error.cause, `Withdrawal of ${c.symbol}`, decodeContext(deployment, { maxWithdrawable: { token: c.token, amount: max } }));
        }
        throw error;
      }
    },

    /** Settles an account's cash in the settlement token (vaults with cash settlement only). */
    async settleCash(p: AccountWriteParameters = {}): Promise<TransactionReceipt> {
      const deployment = await getDeployment();
      const hasIt = (marginVaultAbi as readonly { type: string; name?: string }[]).some((x) => x.type === "function" && x.name === "settleCash");
      try {
        return await send("Cash settlement", { address: addresses.vault, abi: [...settleCashAbi, ...marginVaultAbi], functionName: "settleCash", args: [p.account ?? trader().address] }, decodeContext(deployment));
      } catch (error) {
        if (!hasIt && error instanceof ContractError && error.decoded === null) {
          throw new PortfolioMarginError("This vault has no settleCash (cash settlement is not deployed here).", { cause: error, details: "", metaMessages: ["Your cash stays in the account as equity; withdraw collateral instead."] });
        }
        throw error;
      }
    },

    /** The EIP-712 signature of `order` by the wallet's account, for this settlement contract. */
    async signOrder(order: Order): Promise<Hex> {
      const account = trader();
      const chainId = await publicClient.getChainId();
      return walletClient!.signTypedData({
        account,
        domain: orderDomain(chainId, addresses.settlement),
        types: ORDER_TYPES as any,
        primaryType: "Order",
        message: order as any,
      });
    },

    /** The order's EIP-712 hash (its key for fills and cancellations). */
    async hashOrder(order: Order): Promise<Hex> {
      return publicClient.readContract({ address: addresses.settlement, abi: tradeSettlementAbi, functionName: "hashOrder", args: [order as any] });
    },

    /** How much of an order is filled, and whether it is cancelled. */
    async orderStatus(order: Order): Promise<{ hash: Hex; filled: bigint; cancelled: boolean }> {
      const hash = await this.hashOrder(order);
      const s = { address: addresses.settlement, abi: tradeSettlementAbi } as const;
      const [filled, cancelled] = await Promise.all([
        publicClient.readContract({ ...s, functionName: "filled", args: [hash] }),
        publicClient.readContract({ ...s, functionName: "cancelled", args: [hash] }),
      ]);
      return { hash, filled, cancelled };
    },

    /** Cancels one of the wallet's orders. */
    async cancelOrder(order: Order): Promise<TransactionReceipt> {
      return send("Cancelling the order", { address: addresses.settlement, abi: tradeSettlementAbi, functionName: "cancelOrder", args: [order] }, {});
    },

    /** Invalidates every order of the wallet with a nonce below `minNonce`. */
    async invalidateNonces(minNonce: bigint): Promise<TransactionReceipt> {
      return send("Invalidating nonces", { address: addresses.settlement, abi: tradeSettlementAbi, functionName: "invalidateNonces", args: [minNonce] }, {});
    },

    /** Settles a matched pair of signed orders (anyone may submit). */
    async settleTrade(p: SettleTradeParameters): Promise<TransactionReceipt> {
      return send(
        "The trade",
        { address: addresses.settlement, abi: tradeSettlementAbi, functionName: "settleTrade", args: [p.buy, p.buySignature, p.sell, p.sellSignature, p.size, p.price] },
        lastDeployment ? decodeContext(lastDeployment) : {},
      );
    },

    /**
     * Fills an RFQ quote: signs the taker's opposite order at the quoted price and submits both.
     *
     * @throws ContractError (e.g. `OrderExpired`, `OrderOverfilled` when someone else filled it first).
     */
    async takeQuote(p: TakeQuoteParameters): Promise<TakeQuoteReturnType> {
      const { quote } = p;
      const chainId = await publicClient.getChainId();
      if (quote.chainId !== chainId || quote.settlement.toLowerCase() !== addresses.settlement.toLowerCase()) {
        throw new UsageError("The quote is for another chain or settlement contract.", { metaMessages: ["Ask the maker of this deployment."] });
      }
      const makerSize = quote.order.size;
      const full = makerSize > 0n ? makerSize : -makerSize;
      const size = p.size ?? full;
      const order: Order = {
        account: trader().address,
        market: quote.order.market,
        size: makerSize > 0n ? -size : size,
        limitPrice: quote.price,
        nonce: p.nonce ?? BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000)),
        expiry: quote.order.expiry,
      };
      const signature = await this.signOrder(order);
      const takerBuys = order.size > 0n;
      const receipt = await this.settleTrade({
        buy: takerBuys ? order : quote.order,
        buySignature: takerBuys ? signature : quote.signature,
        sell: takerBuys ? quote.order : order,
        sellSignature: takerBuys ? quote.signature : signature,
        size,
        price: quote.price,
      });
      return { receipt, order };
    },
  };
}

/** The client returned by `createPortfolioMarginClient`. */
export type PortfolioMarginClient = ReturnType<typeof createPortfolioMarginClient>;

/** Options of `connect`. */
export interface ConnectParameters {
  /** An http(s) JSON-RPC URL. */
  rpcUrl: string;
  addresses: DeploymentAddresses;
  /** The trader's account (from `loadSigner`); omit for a read-only client. */
  account?: Account;
  /** Request timeout in ms. @default 10000 */
  timeoutMs?: number;
}

/**
 * Connects to a node over http (batched requests) and creates the client, checking that the node answers.
 *
 * @throws RpcError when the node does not answer (the URL is shown without credentials).
 * @example const pm = await connect({ rpcUrl: "http://127.0.0.1:8545", addresses, account });
 */
export async function connect(parameters: ConnectParameters): Promise<PortfolioMarginClient> {
  const transport = http(parameters.rpcUrl, { batch: { wait: 0 }, retryCount: 0, timeout: parameters.timeoutMs ?? 10_000 });
  const probe = createPublicClient({ transport });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (cause) {
    throw new RpcError(`Cannot reach the RPC endpoint ${redactUrl(parameters.rpcUrl)}.`, { cause, metaMessages: ["Check the RPC URL and that the node is running."] });
  }
  const chain = defineChain({ id: chainId, name: `chain ${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [parameters.rpcUrl] } } });
  const publicClient = createPublicClient({ chain, transport }) as PublicClient;
  const walletClient = parameters.account ? createWalletClient({ chain, transport, account: parameters.account }) : undefined;
  return createPortfolioMarginClient({ publicClient, walletClient, addresses: parameters.addresses });
}
