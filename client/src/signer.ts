/**
 * A signing key for the keeper, the trader's CLI and the maker: from an encrypted JSON keystore (decrypted with ethers v6, since viem/accounts does not
 * decrypt keystores) or from an environment variable holding the hex key. The key and the password are
 * registered with `registerSecret` so that they never reach a message or a log line, and the account uses viem's
 * `nonceManager` so that several transactions in flight get consecutive nonces.
 */
import { readFileSync } from "node:fs";
import { Wallet } from "ethers";
import { nonceManager, type Hex, type LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { ConfigError, registerSecret } from "./errors.js";

/** Where a signing key comes from: an encrypted JSON keystore and its password's variable, or a variable holding
 * the hex key. The secret itself never sits in a file the tools read. */
export type KeySource = { keystore: { path: string; passwordEnv: string } } | { privateKeyEnv: string };

/** Options of `loadSigner`. */
export interface LoadSignerParameters {
  key: KeySource;
  /**
   * How the settings are named in messages (config fields or command-line options).
   * @default { privateKeyEnv: "key.privateKeyEnv", passwordEnv: "key.keystore.passwordEnv", keystore: "key.keystore", path: "key.keystore.path" }
   */
  settings?: { privateKeyEnv: string; passwordEnv: string; keystore: string; path: string };
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
 * Loads a signing account.
 *
 * @param parameters The key source of the config.
 * @returns A viem local account with the nonce manager.
 * @throws ConfigError when the variable is missing, the key malformed, the keystore unreadable or the password wrong.
 * @example const account = await loadSigner({ key: config.key! });
 */
export async function loadSigner(parameters: LoadSignerParameters): Promise<LoadSignerReturnType> {
  const env = parameters.env ?? process.env;
  const { key } = parameters;
  const names = parameters.settings ?? { privateKeyEnv: "key.privateKeyEnv", passwordEnv: "key.keystore.passwordEnv", keystore: "key.keystore", path: "key.keystore.path" };
  let privateKey: string;
  if ("privateKeyEnv" in key) {
    const value = env[key.privateKeyEnv];
    registerSecret(value);
    if (value === undefined || value === "") {
      throw new ConfigError(`The environment variable ${key.privateKeyEnv} (${names.privateKeyEnv}) is not set.`, {
        metaMessages: [`Export the private key: export ${key.privateKeyEnv}=0x…, or use a keystore (${names.keystore}).`],
      });
    }
    privateKey = value.startsWith("0x") ? value : `0x${value}`;
    registerSecret(privateKey);
  } else {
    const password = env[key.keystore.passwordEnv];
    registerSecret(password);
    if (password === undefined) {
      throw new ConfigError(`The environment variable ${key.keystore.passwordEnv} (${names.passwordEnv}) is not set.`, {
        metaMessages: ["Export the keystore's password in that variable."],
      });
    }
    let json: string;
    try {
      json = readFileSync(key.keystore.path, "utf8");
    } catch (cause) {
      throw new ConfigError(`Cannot read the keystore ${key.keystore.path}.`, { cause, metaMessages: [`Check ${names.path}.`] });
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
      metaMessages: ["Use a real key (0x followed by 64 hex digits)."],
    });
  }
  return privateKeyToAccount(privateKey as Hex, { nonceManager });
}
