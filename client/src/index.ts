/**
 * The typed client of portfolio-margin: the one place for the contracts' ABIs (with every custom error), the
 * EIP-712 order types, the deployment's addresses and listing, error decoding, the bigint margin twin and the exact
 * risk views built on it. The keeper, the CLI, the maker, the local run and the web page import it; it imports
 * none of them.
 */
export * from "./abi/generated.js";
export * from "./orders.js";
export * from "./margin/index.js";
export * from "./errors.js";
export * from "./decodeError.js";
export * from "./deployment.js";
export * from "./risk.js";
export * from "./quote.js";
export * from "./client.js";
export * from "./format.js";
