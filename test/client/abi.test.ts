import { expect } from "chai";
import { readFileSync } from "node:fs";

import { GENERATED_ABI_PATH, renderClientAbi } from "../../scripts/client-abi.js";

describe("client ABI", () => {
  it("client/src/abi/generated.ts matches the compiled artifacts (run `npm run client:abi`)", () => {
    expect(readFileSync(GENERATED_ABI_PATH, "utf8")).to.equal(renderClientAbi());
  });
});
