/**
 * The simulated KYC provider's magic values (docs/kyc.md): on a sandbox server, a word in the
 * user's last name or in an uploaded file's name decides what the automatic review will say (case
 * does not matter). Without the sandbox every review approves: a real name is never a command.
 */
export type KycOutcome =
  | { decision: 'APPROVE' }
  | { decision: 'REJECT'; reason: string; retryAllowed: boolean }
  | { decision: 'RESUBMIT'; reason: string }
  /** Method A only: the files cannot be processed (/webhook/kyc-files/status ERROR). */
  | { decision: 'ERROR'; reason: string };

export const KYC_MAGIC: readonly { word: string; outcome: KycOutcome }[] = [
  { word: 'unreadable', outcome: { decision: 'ERROR', reason: 'UNREADABLE_DOCUMENT' } },
  { word: 'fraud', outcome: { decision: 'REJECT', reason: 'FRAUDULENT_DOCUMENT', retryAllowed: false } },
  { word: 'noface', outcome: { decision: 'REJECT', reason: 'NO_FACE_FOUND', retryAllowed: true } },
  { word: 'expireddoc', outcome: { decision: 'REJECT', reason: 'DOCUMENT_EXPIRED', retryAllowed: true } },
  { word: 'resubmit', outcome: { decision: 'RESUBMIT', reason: 'BAD_PHOTO_QUALITY' } },
];

export function plannedKycOutcome(sandbox: boolean, lastName: unknown, fileNames: string[]): KycOutcome {
  if (!sandbox) return { decision: 'APPROVE' };
  const texts = [typeof lastName === 'string' ? lastName : '', ...fileNames].map((t) => t.toLowerCase());
  return KYC_MAGIC.find(({ word }) => texts.some((t) => t.includes(word)))?.outcome ?? { decision: 'APPROVE' };
}

export type PoaOutcome = { status: 'APPROVED' } | { status: 'REJECTED' | 'QUESTIONED'; reason: string };

export const POA_MAGIC: readonly { word: string; outcome: PoaOutcome }[] = [
  { word: 'reject', outcome: { status: 'REJECTED', reason: 'ADDRESS_NOT_MATCHING' } },
  { word: 'question', outcome: { status: 'QUESTIONED', reason: 'DOCUMENT_UNCLEAR' } },
];

export function plannedPoaOutcome(sandbox: boolean, lastName: unknown, fileNames: string[]): PoaOutcome {
  if (!sandbox) return { status: 'APPROVED' };
  const texts = [typeof lastName === 'string' ? lastName : '', ...fileNames].map((t) => t.toLowerCase());
  return POA_MAGIC.find(({ word }) => texts.some((t) => t.includes(word)))?.outcome ?? { status: 'APPROVED' };
}
