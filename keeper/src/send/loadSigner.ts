/** The keeper's signing key is loaded by the client's `loadSigner` (shared with the trader's CLI and the maker). */
export { loadSigner, type KeySource, type LoadSignerErrorType, type LoadSignerParameters, type LoadSignerReturnType } from "../../../client/src/signer.js";
