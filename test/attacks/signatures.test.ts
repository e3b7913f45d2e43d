import { expect } from "chai";
import type { Contract } from "ethers";

import { ethers, MARKET, networkHelpers, wad } from "../fixtures.js";
import { domain, makeOrder, ORDER_TYPES, signOrder } from "../helpers/orders.js";
import { ETH_PRICE, funded, signedTrade, USDC, type Fixture } from "./setup.js";

/** secp256k1's group order: s and n - s are both valid ECDSA signatures of the same hash. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function settle(f: Fixture, t: Awaited<ReturnType<typeof signedTrade>>, size: bigint, price = ETH_PRICE) {
  return f.settlement.settleTrade(t.buy, t.buySig, t.sell, t.sellSig, size, price);
}

async function positions(f: Fixture): Promise<bigint[]> {
  return Promise.all([f.alice, f.bob, f.carol].map((u) => f.vault.position(u.address, MARKET.ETH) as Promise<bigint>));
}

describe("attacks: signatures", () => {
  it("an order signed for another chain cannot be settled here", async () => {
    const f = await networkHelpers.loadFixture(funded);
    const t = await signedTrade(f, f.alice, f.bob, MARKET.ETH, wad(1), ETH_PRICE);
    const other = { ...(await domain(f.settlement)), chainId: 10n };
    t.buySig = await f.alice.signTypedData(other, ORDER_TYPES, t.buy);
    await expect(settle(f, t, wad(1)))
      .to.be.revertedWithCustomError(f.settlement, "InvalidSignature")
      .withArgs(await f.settlement.hashOrder(t.buy), f.alice.address);
    expect(await positions(f)).to.deep.equal([0n, 0n, 0n]);
  });

  it("an order signed for another settlement contract cannot be replayed on this one", async () => {
    const f = await networkHelpers.loadFixture(funded);
    const twin = (await ethers.deployContract("TradeSettlement", [await f.vault.getAddress()])) as unknown as Contract;
    const t = await signedTrade(f, f.alice, f.bob, MARKET.ETH, wad(1), ETH_PRICE);
    t.buySig = await signOrder(twin, f.alice, t.buy);
    t.sellSig = await signOrder(twin, f.bob, t.sell);
    await expect(settle(f, t, wad(1))).to.be.revertedWithCustomError(f.settlement, "InvalidSignature");
    // And the other contract, holding no SETTLER_ROLE, cannot settle its own orders into the vault.
    await expect(twin.settleTrade(t.buy, t.buySig, t.sell, t.sellSig, wad(1), ETH_PRICE)).to.be.revertedWithCustomError(
      f.vault,
      "AccessControlUnauthorizedAccount",
    );
    expect(await positions(f)).to.deep.equal([0n, 0n, 0n]);
  });

  it("a high-s (malleable) copy of a valid signature is refused", async () => {
    const f = await networkHelpers.loadFixture(funded);
    const t = await signedTrade(f, f.alice, f.bob, MARKET.ETH, wad(1), ETH_PRICE);
    const sig = ethers.Signature.from(t.buySig);
    const highS = ethers.toBeHex(N - BigInt(sig.s), 32);
    t.buySig = ethers.concat([sig.r, highS, ethers.toBeHex(sig.v === 27 ? 28 : 27, 1)]);
    await expect(settle(f, t, wad(1))).to.be.revertedWithCustomError(f.settlement, "InvalidSignature");
    expect(await f.settlement.filled(await f.settlement.hashOrder(t.buy))).to.equal(0n);
    expect(await positions(f)).to.deep.equal([0n, 0n, 0n]);
  });

  it("an ERC-1271 wallet's order signed by a key that owns a different wallet is refused", async () => {
    const f = await networkHelpers.loadFixture(funded);
    const wallet = (await ethers.deployContract("MockSmartWallet", [f.alice.address])) as unknown as Contract;
    const walletAddress = await wallet.getAddress();
    await ethers.deployContract("MockSmartWallet", [f.carol.address]);
    await f.tokens.USDC.mint(f.admin.address, USDC(10_000));
    await (f.tokens.USDC.connect(f.admin) as Contract).approve(await f.vault.getAddress(), USDC(10_000));
    await wallet.execute(await f.vault.getAddress(), f.vault.interface.encodeFunctionData("setOperator", [f.admin.address, true]));
    await (f.vault.connect(f.admin) as Contract).deposit(f.tokens.USDC, USDC(10_000), walletAddress);
    // Carol, owner of another wallet, signs Alice's wallet's order.
    const buy = await makeOrder(walletAddress, MARKET.ETH, wad(1), ETH_PRICE);
    const sell = await makeOrder(f.bob.address, MARKET.ETH, wad(-1), ETH_PRICE);
    const sellSig = await signOrder(f.settlement, f.bob, sell);
    // Relayed by Bob (the admin is the wallet's operator, which needs no signature at all).
    const relayer = f.settlement.connect(f.bob) as Contract;
    await expect(relayer.settleTrade(buy, await signOrder(f.settlement, f.carol, buy), sell, sellSig, wad(1), ETH_PRICE))
      .to.be.revertedWithCustomError(f.settlement, "InvalidSignature")
      .withArgs(await f.settlement.hashOrder(buy), walletAddress);
    expect(await f.vault.position(walletAddress, MARKET.ETH)).to.equal(0n);
  });

  it("an operator of one account cannot fill another account's order without its signature", async () => {
    const f = await networkHelpers.loadFixture(funded);
    await (f.vault.connect(f.alice) as Contract).setOperator(f.carol.address, true);
    const t = await signedTrade(f, f.bob, f.alice, MARKET.ETH, wad(1), ETH_PRICE);
    // Carol may submit Alice's order unsigned, but not Bob's.
    await expect(
      (f.settlement.connect(f.carol) as Contract).settleTrade(t.buy, "0x", t.sell, "0x", wad(1), ETH_PRICE),
    )
      .to.be.revertedWithCustomError(f.settlement, "InvalidSignature")
      .withArgs(await f.settlement.hashOrder(t.buy), f.bob.address);
    expect(await positions(f)).to.deep.equal([0n, 0n, 0n]);
  });

  it("cancel race: a partly filled order cancelled before the rest cannot be filled after it", async () => {
    const f = await networkHelpers.loadFixture(funded);
    const t = await signedTrade(f, f.alice, f.bob, MARKET.ETH, wad(2), ETH_PRICE);
    await settle(f, t, wad(1));
    await (f.settlement.connect(f.alice) as Contract).cancelOrder(t.buy);
    await expect(settle(f, t, wad(1))).to.be.revertedWithCustomError(f.settlement, "OrderIsCancelled");
    expect(await positions(f)).to.deep.equal([wad(1), wad(-1), 0n]);
  });

  it("one order matched against two counter-orders cannot fill beyond its size", async () => {
    const f = await networkHelpers.loadFixture(funded);
    const buy = await makeOrder(f.alice.address, MARKET.ETH, wad(1), ETH_PRICE);
    const buySig = await signOrder(f.settlement, f.alice, buy);
    for (const [seller, size] of [
      [f.bob, wad(0.6)],
      [f.carol, wad(0.6)],
    ] as const) {
      const sell = await makeOrder(seller.address, MARKET.ETH, -size, ETH_PRICE);
      const tx = f.settlement.settleTrade(buy, buySig, sell, await signOrder(f.settlement, seller, sell), size, ETH_PRICE);
      if (seller === f.bob) await tx;
      else await expect(tx).to.be.revertedWithCustomError(f.settlement, "OrderOverfilled");
    }
    expect(await positions(f)).to.deep.equal([wad(0.6), wad(-0.6), 0n]);
  });

  it("a signature cannot be moved to an order with a better price or a larger size", async () => {
    const f = await networkHelpers.loadFixture(funded);
    const t = await signedTrade(f, f.alice, f.bob, MARKET.ETH, wad(1), ETH_PRICE);
    const larger = { ...t, buy: { ...t.buy, size: wad(5) } };
    await expect(settle(f, larger, wad(5))).to.be.revertedWithCustomError(f.settlement, "InvalidSignature");
    const cheaper = { ...t, sell: { ...t.sell, limitPrice: wad(2_200) } };
    await expect(settle(f, cheaper, wad(1), wad(2_200))).to.be.revertedWithCustomError(f.settlement, "InvalidSignature");
    expect(await positions(f)).to.deep.equal([0n, 0n, 0n]);
  });
});
