import type { CentumModule } from '../../platform/module.js';
import { USER_DELETED_JOB } from '../users/index.js';
import { kycPageRoutes } from './page.js';
import { kycRoutes } from './routes.js';
import { KycFilesWebhook, KycVerificationWebhook, PoaVerificationWebhook } from './schemas.js';
import { sandboxKycDecisionRoutes } from './sandbox.js';
import { KYC_REVIEW_JOB, POA_REVIEW_JOB, purgeDeletedUser, reviewKyc, reviewPoa } from './service.js';

/**
 * KYC and proof of address (docs/user-lifecycle.md, docs/kyc.md): Method A files, Method B with the
 * hosted verification page, Add User Verification (which activates the user through the users
 * module), Add POA File and the extended tier, the simulated provider (sandbox decisions, magic
 * values, automatic review jobs) and the purge of a deleted user's files.
 */
export const kycModule: CentumModule = {
  name: 'kyc',
  routes: kycRoutes,
  sandboxRoutes: sandboxKycDecisionRoutes,
  publicRoutes: kycPageRoutes,
  jobs: { [KYC_REVIEW_JOB]: reviewKyc, [POA_REVIEW_JOB]: reviewPoa, [USER_DELETED_JOB]: purgeDeletedUser },
  webhooks: {
    'kyc_file.status': KycFilesWebhook, 'kyc_verification.status': KycVerificationWebhook, 'poa_verification.status': PoaVerificationWebhook,
  },
};

/** For the cards module: the extended tier (P461 otherwise) and the proof of address behind it. */
export { hasApprovedProofOfAddress, isExtendedUser, poaNeededForExtended } from './service.js';
export { KycFilesWebhook, KycVerificationWebhook, PoaVerificationWebhook };
export { detectType, type FileStore } from './files.js';
