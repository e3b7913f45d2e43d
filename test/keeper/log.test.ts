import { expect } from "chai";
import { Writable } from "node:stream";

import { createLogger } from "../../keeper/src/log.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, logger: createLogger({ destination, level: "debug" }) };
}

describe("keeper log", () => {
  it("writes JSON with the child's context", () => {
    const { lines, logger } = capture();
    logger.child({ module: "indexer" }).info({ block: 5 }, "indexed");
    expect(lines[0]).to.deep.include({ module: "indexer", block: 5, msg: "indexed" });
  });

  it("censors secret fields and RPC credentials in errors", () => {
    const { lines, logger } = capture();
    logger.info({ privateKey: "0xdead", config: { rpcUrls: ["https://a:b@x.io"] } }, "start");
    logger.error({ err: new Error("failed at https://u:p@rpc.example.com/v2/KEY") }, "rpc");
    const text = JSON.stringify(lines);
    expect(text).to.not.include("0xdead").and.not.include("a:b").and.not.include("KEY").and.not.include("u:p");
    expect((lines[1]!.err as { message: string }).message).to.equal("failed at https://rpc.example.com/…");
  });
});
