import { expect } from "chai";
import { createPublicClient, custom, getAddress, type EIP1193Provider, type PublicClient } from "viem";

import { marginVaultAbi } from "../../../client/src/abi/generated.js";
import { LOST_RACE_ERRORS, vaultErrorName } from "../../../keeper/src/loop/decodeRevert.js";
import { connection, deployDefault, networkHelpers } from "../../fixtures.js";

const client = createPublicClient({ transport: custom(connection.provider as unknown as EIP1193Provider) }) as PublicClient;

describe("keeper: vault errors decoded by name", () => {
  it("a liquidation of a healthy account reverts with AccountHealthy, decoded from the ABI (a lost race)", async () => {
    const { vault, alice, carol } = await networkHelpers.loadFixture(deployDefault);
    const error = await client
      .simulateContract({ address: getAddress(await vault.getAddress()), abi: marginVaultAbi, functionName: "liquidate", args: [getAddress(alice.address), 10n ** 18n], account: getAddress(carol.address) })
      .catch((e: unknown) => e);
    const name = vaultErrorName(error);
    expect(name).to.be.oneOf(["AccountHealthy", "EmptyLiquidation", "InvalidLiquidationItems"].concat([...LOST_RACE_ERRORS]));
    expect(name).to.not.equal(null);
  });

  it("every lost-race name is an error of the vault's ABI", () => {
    const names = new Set(marginVaultAbi.filter((i) => i.type === "error").map((i) => i.name));
    for (const name of LOST_RACE_ERRORS) expect(names.has(name as never), name).to.equal(true);
  });

  it("a transport failure is not a vault answer", () => {
    expect(vaultErrorName(new Error("fetch failed"))).to.equal(null);
  });
});
