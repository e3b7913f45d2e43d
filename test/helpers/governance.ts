import type { Contract } from "ethers";

import { deployDefault, ethers } from "../fixtures.js";

/** IRiskGovernance.RiskParam, in enum order (the `param` of RiskStepExceeded, RiskChangeTooSoon, GuardianCannotLoosen). */
export const PARAM = {
  Scan: 0,
  Correlation: 1,
  ImFactor: 2,
  Haircut: 3,
  DepositCap: 4,
  ContingencyRate: 5,
  OpenInterestCap: 6,
  BonusRate: 7,
  FundShare: 8,
  DustThreshold: 9,
  MaxPrice: 10,
  Heartbeat: 11,
  PriceBand: 12,
  SettlementDiscount: 13,
  LiquidationGracePeriod: 14,
} as const;

/** The default deployment's steward bounds (ignition/parameters/spec-v1.json): a 10% step, once a day. */
export const STEP = 10n ** 17n;
export const INTERVAL = 86_400;
/** The default deployment's timelock delay (seconds). */
export const TIMELOCK_DELAY = 2 * 86_400;

/** The largest change the steward may make to `value` in one update (rounded down, as on-chain). */
export const maxDelta = (value: bigint): bigint => ((value < 0n ? -value : value) * STEP) / 10n ** 18n;

/**
 * The default deployment with a steward (RISK_STEWARD_ROLE only) and a guardian (GUARDIAN_ROLE only) besides the
 * deployer, who keeps RISK_ADMIN_ROLE (the timelock's unbounded path) as every fixture does. `steward` and
 * `guardian` are the vault connected as each.
 */
export async function deployGoverned() {
  const f = await deployDefault();
  const signers = await ethers.getSigners();
  const [stewardSigner, guardianSigner, settlerSigner] = [signers[4]!, signers[5]!, signers[6]!];
  await f.vault.grantRole(await f.vault.RISK_STEWARD_ROLE(), stewardSigner.address);
  await f.vault.grantRole(await f.vault.GUARDIAN_ROLE(), guardianSigner.address);
  return {
    ...f,
    stewardSigner,
    guardianSigner,
    settlerSigner,
    steward: f.vault.connect(stewardSigner) as Contract,
    guardian: f.vault.connect(guardianSigner) as Contract,
  };
}
