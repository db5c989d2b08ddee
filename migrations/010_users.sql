-- Users: the status to return to when a suspension is lifted, and when KYC was decided.
ALTER TABLE users ADD COLUMN status_before_suspension text;
ALTER TABLE users ADD COLUMN kyc_decided_at timestamptz;
