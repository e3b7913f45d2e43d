/**
 * The typed client of portfolio-margin: the one place for the contracts' ABIs (with every custom error), the
 * EIP-712 order types and the bigint margin twin. The keeper, the CLI, the maker, the local run and the web page
 * import it; it imports none of them.
 */
export * from "./abi/generated.js";
export * from "./orders.js";
export * from "./margin/index.js";
