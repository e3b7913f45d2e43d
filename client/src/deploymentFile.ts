/**
 * The deployment file: where a deployment lives (RPC URL, chain id, contracts, first block, RFQ maker), written by
 * `npm start -- --keep-running` and read by the CLI and the web page. No secret is ever in it.
 */
import { readFileSync } from "node:fs";
import { getAddress, isAddress, type Address } from "viem";
import { z } from "zod";

import { ConfigError } from "./errors.js";

const address = z
  .string()
  .refine((v) => isAddress(v, { strict: false }), { error: "expected a 20-byte hex address" })
  .transform((v) => getAddress(v));

/** The schema of a deployment file. */
export const deploymentFileSchema = z.strictObject({
  /** The JSON-RPC endpoint (http). */
  rpcUrl: z.string().url(),
  chainId: z.number().int().positive(),
  vault: address,
  settlement: address,
  /** The vault's deployment block, as a decimal string. */
  fromBlock: z.union([z.string().regex(/^[0-9]+$/), z.number().int().nonnegative()]).transform((v) => BigInt(v)).default(0n),
  /** The RFQ maker's base URL (`npm run maker`), for `pm quote` and `pm trade`. */
  makerUrl: z.string().url().optional(),
});

/** A parsed deployment file. */
export type DeploymentFile = z.infer<typeof deploymentFileSchema> & { vault: Address; settlement: Address };

/**
 * Reads and validates a deployment file.
 *
 * @throws ConfigError naming the file and what is wrong.
 */
export function loadDeploymentFile(path: string): DeploymentFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new ConfigError(`Cannot read the deployment file ${path}.`, {
      cause,
      metaMessages: ["Start a local deployment with `npm start -- --keep-running` (it writes this file), or pass --deployment <file>."],
    });
  }
  const result = deploymentFileSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ConfigError(`Invalid deployment file ${path}: ${issues.join("; ")}.`);
  }
  return result.data as DeploymentFile;
}

/** Serialises a deployment file (integers as strings). */
export function deploymentFileJson(file: DeploymentFile): string {
  return `${JSON.stringify({ ...file, fromBlock: file.fromBlock.toString() }, null, 2)}\n`;
}
