/**
 * Every status a row can have, one definition each: a constant object naming the values (use
 * `UserStatus.SUSPENDED`, never the bare string) and a type of the same name for the union. The
 * database holds the same lists as CHECK constraints (migrations 001-070); test/money/statuses.test.ts
 * compares each union with its constraint, so the two cannot drift apart.
 *
 * SQL text may name a status only through these constants (`'${BalanceStatus.CLOSED}'`).
 */

const statuses = <const T extends string>(...values: T[]): { readonly [K in T]: K } =>
  Object.freeze(Object.fromEntries(values.map((v) => [v, v]))) as { readonly [K in T]: K };

/** The values of a status object, in their declared order. */
export const valuesOf = <T extends string>(statusObject: { readonly [K in T]: K }): T[] => Object.values(statusObject) as T[];

/**
 * A user (docs/decisions.md, "Users"): a KYC user starts WAITING_FOR_VERIFICATION and becomes
 * ACTIVE or REJECTED on the KYC decision; a non-KYC user is ACTIVE at once. SUSPENDED remembers
 * the status it interrupts (`status_before_suspension`); DELETED is final.
 */
export const UserStatus = statuses('WAITING_FOR_VERIFICATION', 'ACTIVE', 'REJECTED', 'SUSPENDED', 'DELETED');
export type UserStatus = keyof typeof UserStatus;
/** What a suspension can interrupt, and unsuspend restores. */
export type SuspendableUserStatus = Exclude<UserStatus, 'SUSPENDED' | 'DELETED'>;

/**
 * A balance (`accounts.status`): ACTIVE moves money; a KYC user's EUR balance is
 * WAITING_TO_BE_ACTIVATED until the KYC decision approves it; CLOSED once its user is deleted
 * (no credit reaches it any more).
 */
export const BalanceStatus = statuses('ACTIVE', 'WAITING_TO_BE_ACTIVATED', 'CLOSED');
export type BalanceStatus = keyof typeof BalanceStatus;

/** An internal transfer: synchronous, so only ever stored SUCCESSFUL. */
export const TransferStatus = statuses('SUCCESSFUL');
export type TransferStatus = keyof typeof TransferStatus;

/** An exchange: synchronous; FAILED is allowed by the table but never stored (a failure is refused). */
export const ExchangeStatus = statuses('COMPLETED', 'FAILED');
export type ExchangeStatus = keyof typeof ExchangeStatus;

/** An order (docs/decisions.md, "Order statuses"). */
export const OrderStatus = statuses(
  'WAITING_FOR_WALLET_ADDRESS', 'WAITING_FOR_PAYMENT', 'WAITING_FOR_CONFIRMATION', 'COMPLETED', 'UNDERPAID', 'EXPIRED',
);
export type OrderStatus = keyof typeof OrderStatus;

/** An outgoing SEPA transfer: PENDING (amount + fee held) until it settles or fails. */
export const SepaTransferStatus = statuses('PENDING', 'SUCCESSFUL', 'FAILED');
export type SepaTransferStatus = keyof typeof SepaTransferStatus;

/** An incoming SEPA payment: APPROVED (credited), PENDING (name-check review) or REJECTED (returned). */
export const SepaDepositStatus = statuses('PENDING', 'APPROVED', 'REJECTED');
export type SepaDepositStatus = keyof typeof SepaDepositStatus;

/** A crypto withdrawal: PROCESSING (amount + fees held) until it confirms or is rejected. */
export const CryptoWithdrawalStatus = statuses('PROCESSING', 'SUCCESSFUL', 'FAILED');
export type CryptoWithdrawalStatus = keyof typeof CryptoWithdrawalStatus;

/** A crypto deposit (docs/decisions.md, "Crypto deposits"). */
export const CryptoDepositStatus = statuses('WAITING_FOR_VERIFICATION', 'WAITING_FOR_TR_DATA', 'SUCCESSFUL', 'UNSUCCESSFUL');
export type CryptoDepositStatus = keyof typeof CryptoDepositStatus;

/** A hold (reserved funds): PENDING until posted or voided. */
export const HoldStatus = statuses('PENDING', 'POSTED', 'VOIDED');
export type HoldStatus = keyof typeof HoldStatus;

/** A wallet the partner asked for (Create Wallet): answered PENDING, then ACTIVE or FAILED by `wallet.status`. Not stored. */
export const WalletStatus = statuses('PENDING', 'ACTIVE', 'FAILED');
export type WalletStatus = keyof typeof WalletStatus;

/**
 * A payment link (docs/payment-links.md has the diagram): WAITING_FOR_PAYMENT -> CONFIRMING (a
 * transfer seen) -> COMPLETED (EUR received within the tolerance of the amount) or
 * AWAITING_COMPLETION (underpaid: the underpayment window opens) -> CONFIRMING (a top-up) ...;
 * EXPIRED when the link's expiry or the underpayment window passes first.
 */
export const PaymentLinkStatus = statuses('WAITING_FOR_PAYMENT', 'CONFIRMING', 'AWAITING_COMPLETION', 'COMPLETED', 'EXPIRED');
export type PaymentLinkStatus = keyof typeof PaymentLinkStatus;

/** What is unusual about a payment link's payments (null when nothing is). */
export const PaymentLinkException = statuses('UNDERPAID', 'OVERPAID', 'PAID_LATE', 'MULTIPLE');
export type PaymentLinkException = keyof typeof PaymentLinkException;

/** One transfer to a payment link: CONFIRMING on the chain, then SETTLED (converted and credited once). */
export const PaymentLinkTransactionStatus = statuses('CONFIRMING', 'SETTLED');
export type PaymentLinkTransactionStatus = keyof typeof PaymentLinkTransactionStatus;

/** A KYC verification's outcome (spec 1.8): VERIFIED once an attempt succeeded; EXPIRED when it lapsed (redo). */
export const KycVerificationStatus = statuses('NOT_VERIFIED', 'VERIFIED', 'EXPIRED');
export type KycVerificationStatus = keyof typeof KycVerificationStatus;

/**
 * A KYC attempt (spec 1.8): PENDING (opened, or resubmission asked), VERIFICATION (files in, the
 * provider is checking), then REJECTED_BY_PROVIDER (see rejectionReason) or SUCCESSFUL.
 */
export const KycAttemptStatus = statuses('PENDING', 'VERIFICATION', 'REJECTED_BY_PROVIDER', 'SUCCESSFUL');
export type KycAttemptStatus = keyof typeof KycAttemptStatus;

/** A proof-of-address review (spec 1.7): WAITING, then APPROVED, REJECTED (final: another document) or QUESTIONED (re-upload). */
export const PoaStatus = statuses('WAITING', 'APPROVED', 'REJECTED', 'QUESTIONED');
export type PoaStatus = keyof typeof PoaStatus;

/**
 * A virtual card (docs/decisions.md, "Cards"): ACTIVE; LOCKED_BY_USER (block) and back (unblock);
 * BLOCKED (set by the platform); SUSPENDED while its user is (remembers what it interrupted);
 * DELETED is final.
 */
export const CardStatus = statuses('ACTIVE', 'LOCKED_BY_USER', 'BLOCKED', 'SUSPENDED', 'DELETED');
export type CardStatus = keyof typeof CardStatus;
/** What a user suspension can interrupt on a card, and unsuspend restores. */
export type SuspendableCardStatus = Exclude<CardStatus, 'SUSPENDED' | 'DELETED'>;

/**
 * A card authorization: AWAITING_3DS (no hold yet) until the code is given; PENDING (held) until
 * CAPTURED, REVERSED (in full) or EXPIRED; DECLINED never held anything.
 */
export const CardAuthorizationStatus = statuses('AWAITING_3DS', 'PENDING', 'CAPTURED', 'REVERSED', 'EXPIRED', 'DECLINED');
export type CardAuthorizationStatus = keyof typeof CardAuthorizationStatus;

/** Where a card is used: a terminal, online, a cash machine. */
export const CardChannel = statuses('POS', 'ECOM', 'ATM');
export type CardChannel = keyof typeof CardChannel;
