/** The margin engine's TypeScript twin (mirrors contracts/libraries/MathLib.sol and MarginLib.sol). */
export * from "./mathLib.js";
export * from "./marginLib.js";
export * from "./vectors.js";
