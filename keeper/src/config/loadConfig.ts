import { readFileSync } from "node:fs";
import type { z } from "zod";

import { ConfigError } from "../errors.js";
import { keeperConfigSchema, type KeeperConfig } from "./schema.js";

/** Options of `parseConfig`. */
export interface ParseConfigParameters {
  /** Where the value came from, named in errors. @default "keeper config" */
  source?: string;
}

/** `parseConfig`'s error. */
export type ParseConfigErrorType = ConfigError;

/** `loadConfig`'s result. */
export type LoadConfigReturnType = KeeperConfig;

/** `loadConfig`'s error. */
export type LoadConfigErrorType = ConfigError;

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  return path.map((key, index) => (typeof key === "number" ? `[${key}]` : `${index === 0 ? "" : "."}${String(key)}`)).join("");
}

function formatIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    const where = issue.path.length > 0 ? `${formatPath(issue.path)}.` : "";
    return issue.keys.map((key) => `${where}${key}: unknown option; remove it or fix its spelling`).join("\n");
  }
  return `${formatPath(issue.path)}: ${issue.message}`;
}

/**
 * Validates a parsed config object and applies defaults.
 *
 * @param value The parsed JSON.
 * @param parameters Where it came from.
 * @returns The typed config.
 * @throws ConfigError naming every wrong field and what to put there.
 * @example parseConfig({ rpcUrls: ["http://127.0.0.1:8545"], vault: "0x…", chainId: 31337, startBlock: 0 })
 */
export function parseConfig(value: unknown, parameters: ParseConfigParameters = {}): KeeperConfig {
  const source = parameters.source ?? "keeper config";
  const result = keeperConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.flatMap((issue) => formatIssue(issue).split("\n"));
  throw new ConfigError(`Invalid ${source}: ${lines.length} problem${lines.length === 1 ? "" : "s"}.`, {
    metaMessages: [...lines.map((line) => `- ${line}`), "", "Every option is documented in keeper/src/config/schema.ts."],
    details: lines.join("; "),
  });
}

/**
 * Reads and validates `keeper.config.json`.
 *
 * @param path The config file's path.
 * @returns The typed config, defaults applied.
 * @throws ConfigError when the file is missing, is not JSON, or has a wrong field (each one named).
 * @example const config = loadConfig("keeper.config.json");
 */
export function loadConfig(path: string): LoadConfigReturnType {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new ConfigError(`Cannot read the config file ${path}.`, {
      cause,
      metaMessages: ["Pass the path of keeper.config.json with --config <path>."],
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`The config file ${path} is not valid JSON.`, {
      cause,
      metaMessages: ["Fix the JSON syntax (no comments, no trailing commas)."],
    });
  }
  return parseConfig(json, { source: `config file ${path}` });
}
