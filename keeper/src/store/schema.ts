/**
 * The SQLite schema of the keeper's state.
 *
 * The state is a journal: every vault event becomes one row of `state_log` holding the ABSOLUTE value it leaves
 * behind (the vault's balance, position and cash events carry it; configuration rows are completed from the
 * previous row), keyed by (kind, account, key, block_number, log_index). The current value of anything is its
 * latest row. Rolling back to block B is `DELETE ... WHERE block_number > B`: the rows below are untouched, so the
 * state at B comes back exactly. `blocks` keeps the hashes of the recent blocks to detect reorgs; `checkpoint`
 * is the last block whose logs are all applied. `liquidation_txs` journals the liquidation transactions the keeper
 * sent (one row per sender and nonce), so that after a restart it knows what is in flight and sends nothing twice;
 * it is not part of the chain state (a rollback leaves it alone), and an older version-2 file gains it on open.
 */

/** Version of the schema below; a store of another version is refused. */
export const STORE_SCHEMA_VERSION = 2;

/** The DDL, idempotent. */
export const STORE_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- kind: cash | balance | position | operator | asset | collateral | market | rho | imFactor | sequencer
--       | liquidation | insuranceFund
-- account: the account for account kinds, '' otherwise; key: token, market id, asset id, "a,b", ''
-- value: a decimal integer (cash, balance, position), else JSON with integers as decimal strings
CREATE TABLE IF NOT EXISTS state_log (
  kind         TEXT    NOT NULL,
  account      TEXT    NOT NULL,
  key          TEXT    NOT NULL,
  block_number INTEGER NOT NULL,
  log_index    INTEGER NOT NULL,
  block_hash   TEXT    NOT NULL,
  tx_hash      TEXT    NOT NULL,
  value        TEXT    NOT NULL,
  PRIMARY KEY (kind, account, key, block_number, log_index)
) STRICT;
CREATE INDEX IF NOT EXISTS state_log_block ON state_log (block_number);

-- The latest row of each (kind, account, key): the current state.
CREATE VIEW IF NOT EXISTS current_state AS
  SELECT kind, account, key, value, block_number FROM (
    SELECT kind, account, key, value, block_number,
      ROW_NUMBER() OVER (PARTITION BY kind, account, key ORDER BY block_number DESC, log_index DESC) AS rn
    FROM state_log
  ) WHERE rn = 1;

CREATE VIEW IF NOT EXISTS accounts AS
  SELECT account, value AS cash FROM current_state WHERE kind = 'cash';
CREATE VIEW IF NOT EXISTS balances AS
  SELECT account, key AS token, value AS amount FROM current_state WHERE kind = 'balance';
CREATE VIEW IF NOT EXISTS positions AS
  SELECT account, CAST(key AS INTEGER) AS market, value AS size FROM current_state WHERE kind = 'position';

-- Recent block hashes (the reorg window), to find the fork point of a reorg.
CREATE TABLE IF NOT EXISTS blocks (
  number      INTEGER PRIMARY KEY,
  hash        TEXT NOT NULL,
  parent_hash TEXT NOT NULL
) STRICT;

-- The last block whose logs are all applied (one row).
CREATE TABLE IF NOT EXISTS checkpoint (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  number INTEGER NOT NULL,
  hash   TEXT    NOT NULL
) STRICT;

-- Liquidation transactions sent (one row per sender and nonce; a replacement appends its hash).
-- hashes: JSON array, latest last; fraction: the WAD fraction sent, as a decimal string;
-- status: pending | success | reverted | dropped.
CREATE TABLE IF NOT EXISTS liquidation_txs (
  sender           TEXT    NOT NULL,
  nonce            INTEGER NOT NULL,
  account          TEXT    NOT NULL,
  hashes           TEXT    NOT NULL,
  fraction         TEXT    NOT NULL,
  gas              TEXT    NOT NULL,
  max_fee          TEXT    NOT NULL,
  max_priority_fee TEXT    NOT NULL,
  sent_at_block    INTEGER NOT NULL,
  sent_at          INTEGER NOT NULL,
  status           TEXT    NOT NULL,
  PRIMARY KEY (sender, nonce)
) STRICT;
CREATE INDEX IF NOT EXISTS liquidation_txs_status ON liquidation_txs (status);
`;
