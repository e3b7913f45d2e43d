export * from "./errors.js";
export * from "./checkPrice.js";
export * from "./readPrices.js";
