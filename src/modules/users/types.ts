import type { SuspendableUserStatus, UserStatus } from '../../kernel/statuses.js';

/** A row of the users table (store.ts reads and writes it, service.ts decides on it). */
export interface UserRow {
  id: string;
  partner_id: string;
  external_user_id: string;
  model: 'KYC' | 'NON_KYC';
  status: UserStatus;
  profile: Record<string, any>;
  address_index: number;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  status_before_suspension?: SuspendableUserStatus | null;
  kyc_decided_at?: Date | null;
}
