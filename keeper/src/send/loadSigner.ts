/**
 * The keeper's signing key: from an encrypted JSON keystore (decrypted with ethers v6, since viem/accounts does not
 * decrypt keystores) or from an environment variable holding the hex key. The key and the password are
 * registered with `registerSecret` so that they never reach a message or a log line, and the account uses viem's
 * `nonceManager` so that several transactions in flight get consecutive nonces.
 */
import { readFileSync } from "node:fs";
import { Wallet } from "ethers";
import { nonceManager, type Hex, type LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import type { KeeperConfig } from "../config/schema.js";
import { ConfigError, registerSecret } from "../errors.js";

/** Options of `loadSigner`. */
export interface LoadSignerParameters {
  key: NonNullable<KeeperConfig["key"]>;
  /** Where the environment variables are read. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** `loadSigner`'s result. */
export type LoadSignerReturnType = LocalAccount;

/** `loadSigner`'s error. */
export type LoadSignerErrorType = ConfigError;

const PRIVATE_KEY = /^0x[0-9a-fA-F]{64}$/;
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * Loads the keeper's signing account.
 *
 * @param parameters The key source of the config.
 * @returns A viem local account with the nonce manager.
 * @throws ConfigError when the variable is missing, the key malformed, the keystore unreadable or the password wrong.
 * @example const account = await loadSigner({ key: config.key! });
 */
export async function loadSigner(parameters: LoadSignerParameters): Promise<LoadSignerReturnType> {
  const env = parameters.env ?? process.env;
  const { key } = parameters;
  let privateKey: string;
  if ("privateKeyEnv" in key) {
    const value = env[key.privateKeyEnv];
    registerSecret(value);
    if (value === undefined || value === "") {
      throw new ConfigError(`The environment variable ${key.privateKeyEnv} (key.privateKeyEnv) is not set.`, {
        metaMessages: [`Export the keeper's private key: export ${key.privateKeyEnv}=0x…, or use key.keystore.`],
      });
    }
    privateKey = value.startsWith("0x") ? value : `0x${value}`;
    registerSecret(privateKey);
  } else {
    const password = env[key.keystore.passwordEnv];
    registerSecret(password);
    if (password === undefined) {
      throw new ConfigError(`The environment variable ${key.keystore.passwordEnv} (key.keystore.passwordEnv) is not set.`, {
        metaMessages: ["Export the keystore's password in that variable."],
      });
    }
    let json: string;
    try {
      json = readFileSync(key.keystore.path, "utf8");
    } catch (cause) {
      throw new ConfigError(`Cannot read the keystore ${key.keystore.path}.`, { cause, metaMessages: ["Check key.keystore.path."] });
    }
    try {
      privateKey = (await Wallet.fromEncryptedJson(json, password)).privateKey;
    } catch {
      // The cause is not kept: its message could quote the keystore.
      throw new ConfigError(`Cannot decrypt the keystore ${key.keystore.path}.`, {
        metaMessages: ["Check the password variable and that the file is a Web3 Secret Storage (v3) keystore."],
      });
    }
    registerSecret(privateKey);
  }
  if (!PRIVATE_KEY.test(privateKey)) {
    throw new ConfigError("The private key is malformed.", { metaMessages: ["Expected 0x followed by 64 hex digits."] });
  }
  // Zero, or not below the curve order: not a key (viem would throw a raw secp256k1 error with a stack trace).
  const scalar = BigInt(privateKey);
  if (scalar === 0n || scalar >= SECP256K1_ORDER) {
    throw new ConfigError("The private key is not a valid secp256k1 key (zero, or not below the curve order).", {
      metaMessages: ["Use the keeper's real key (0x followed by 64 hex digits)."],
    });
  }
  return privateKeyToAccount(privateKey as Hex, { nonceManager });
}
