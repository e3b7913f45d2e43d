import { expect } from "chai";
import { readFileSync } from "node:fs";

import { GENERATED_ABI_PATH, renderKeeperAbi } from "../../scripts/keeper-abi.js";

describe("keeper ABI", () => {
  it("keeper/src/abi/generated.ts matches the compiled artifacts (run `npx tsx scripts/keeper-abi.ts`)", () => {
    expect(readFileSync(GENERATED_ABI_PATH, "utf8")).to.equal(renderKeeperAbi());
  });
});
