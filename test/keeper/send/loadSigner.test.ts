import { expect } from "chai";
import { encryptKeystoreJsonSync } from "ethers";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privateKeyToAccount } from "viem/accounts";

import { ConfigError, KeeperError } from "../../../keeper/src/errors.js";
import { loadSigner } from "../../../keeper/src/send/loadSigner.js";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const PASSWORD = "correct horse battery staple";

/**
 * An encrypted JSON keystore (Web3 Secret Storage v3). `Wallet.encrypt` takes no scrypt options (it always uses
 * N = 2^17, about a second per call); ethers' `encryptKeystoreJsonSync`, which it wraps, takes them: N = 2^10 here.
 * Decryption reads N from the file, so the keeper's loader is exercised unchanged.
 */
function writeKeystore(): string {
  const address = privateKeyToAccount(KEY).address;
  const json = encryptKeystoreJsonSync({ address, privateKey: KEY }, PASSWORD, { scrypt: { N: 1 << 10 } });
  const path = join(mkdtempSync(join(tmpdir(), "keeper-keystore-")), "keeper.json");
  writeFileSync(path, json);
  return path;
}

describe("keeper signer", () => {
  it("loads an encrypted JSON keystore with the password from the environment", async () => {
    const path = writeKeystore();
    const account = await loadSigner({ key: { keystore: { path, passwordEnv: "KEEPER_KEYSTORE_PASSWORD" } }, env: { KEEPER_KEYSTORE_PASSWORD: PASSWORD } });
    expect(account.address).to.equal(privateKeyToAccount(KEY).address);
    expect(account.nonceManager, "consecutive nonces for transactions in flight").to.not.equal(undefined);
  });

  it("a wrong password gives a ConfigError (a KeeperError) that says what to check and quotes neither password", async () => {
    const path = writeKeystore();
    const wrong = "not the password at all";
    let caught: unknown;
    try {
      await loadSigner({ key: { keystore: { path, passwordEnv: "KEEPER_KEYSTORE_PASSWORD" } }, env: { KEEPER_KEYSTORE_PASSWORD: wrong } });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ConfigError).and.instanceOf(KeeperError);
    const error = caught as ConfigError;
    expect(error.shortMessage).to.equal(`Cannot decrypt the keystore ${path}.`);
    expect(error.metaMessages.join(" ")).to.include("password");
    const everything = [error.message, String(error), JSON.stringify(error), error.stack ?? "", String(error.cause ?? "")].join("\n");
    expect(everything).to.not.include(wrong).and.not.include(PASSWORD).and.not.include(KEY.slice(2));
    expect(error.cause, "no cause that could quote the keystore").to.equal(undefined);
  });

  it("a missing password variable or keystore file is a ConfigError naming the setting", async () => {
    const path = writeKeystore();
    const missingEnv = await loadSigner({ key: { keystore: { path, passwordEnv: "NOPE" } }, env: {} }).catch((e: unknown) => e);
    expect(missingEnv).to.be.instanceOf(ConfigError);
    expect((missingEnv as ConfigError).shortMessage).to.include("NOPE (key.keystore.passwordEnv)");
    const missingFile = await loadSigner({ key: { keystore: { path: `${path}.absent`, passwordEnv: "P" } }, env: { P: PASSWORD } }).catch((e: unknown) => e);
    expect(missingFile).to.be.instanceOf(ConfigError);
    expect((missingFile as ConfigError).metaMessages).to.deep.equal(["Check key.keystore.path."]);
  });
});
