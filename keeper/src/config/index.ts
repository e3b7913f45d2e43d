export * from "./schema.js";
export * from "./loadConfig.js";
