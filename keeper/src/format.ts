/** The operator's text formatting lives in the client (shared with the trader's CLI). */
export { formatRatio, formatTable, formatUsd } from "../../client/src/format.js";
