export { post, hold, postHold, voidHold, increaseHold, releaseHoldPart, captureHold, checkInvariant } from './ledger.js';
export type { Line, PostingInput, AccountRef, HoldInput, InvariantReport } from './ledger.js';
export { openAccount, listAccounts, lockAccounts, findAccount, setAccountStatus, available } from "./accounts.js";
export type { Owner, AccountRow } from "./accounts.js";
export { ensureHouseAccounts, houseAccountId, HOUSE_KINDS, HOUSE_SHARDS } from './house.js';
export type { HouseKind } from './house.js';
