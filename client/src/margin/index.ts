/** The margin engine's TypeScript twin (mirrors contracts/libraries/MathLib.sol, MarginLib.sol and LiquidationLib.sol). */
export * from "./mathLib.js";
export * from "./marginLib.js";
export * from "./vectors.js";
export * from "./liquidationLib.js";
