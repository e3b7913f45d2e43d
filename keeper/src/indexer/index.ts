export * from "./decodeLogs.js";
export * from "./getLogsChunked.js";
export * from "./indexer.js";
