import { expect } from "chai";

import { KeeperError, RpcError, redact, redactUrl, registerSecret } from "../../keeper/src/errors.js";

describe("keeper errors", () => {
  it("redacts credentials, paths and query strings of URLs", () => {
    expect(redactUrl("https://user:pass@rpc.example.com:8545/v2/KEY?apikey=1")).to.equal("https://rpc.example.com:8545/…");
    expect(redactUrl("http://127.0.0.1:8545")).to.equal("http://127.0.0.1:8545");
    expect(redact("fetch failed: wss://u:p@x.io/ws?k=2 (timeout)")).to.equal("fetch failed: wss://x.io/… (timeout)");
  });

  it("removes registered secrets from every part of the message", () => {
    const key = "0x" + "ab".repeat(32);
    registerSecret(key);
    const error = new RpcError(`signing with ${key} failed`, {
      cause: new Error(`bad key ${key} at https://a:b@rpc.example.com/v3/SECRET`),
      metaMessages: [`key ${key}`],
    });
    expect(error.message).to.not.include(key).and.not.include("SECRET").and.not.include("a:b");
    expect(error.message).to.include("[redacted]");
  });

  it("keeps the cause chain and walks it", () => {
    const root = new Error("socket hang up");
    const error = new KeeperError("outer", { cause: new RpcError("inner", { cause: root }) });
    expect(error.walk()).to.equal(root);
    expect(error.walk((e) => e instanceof RpcError)).to.be.instanceOf(RpcError);
    // Like viem, the root detail propagates up the chain.
    expect(error.message).to.match(/^outer\n\nDetails: socket hang up/);
  });
});
