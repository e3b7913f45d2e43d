/** The keeper's logger is the client's (shared with the maker). */
export { createLogger, REDACTED_FIELDS, type CreateLoggerParameters, type Logger } from "../../client/src/log.js";
