-- KYC (Method A files, Method B hosted verification), the user's document data, proof of address,
-- and the encrypted document files behind them (src/modules/kyc, docs/user-lifecycle.md).

-- One attempt at identity verification. Method A ('FILES': the partner uploads) or Method B
-- ('HOSTED': the end user uploads on Centum's page). At most one open attempt (PENDING or
-- VERIFICATION) per user, enforced by the partial unique index below.
CREATE TABLE kyc_verifications (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  user_id uuid NOT NULL REFERENCES users(id),
  method text NOT NULL CHECK (method IN ('FILES', 'HOSTED')),
  document_type text NOT NULL CHECK (document_type IN ('ID_CARD', 'PASSPORT', 'RESIDENCE_PERMIT', 'DRIVER_LICENSE')),
  details jsonb NOT NULL DEFAULT '{}',
  redirect_url text,
  verification_status text NOT NULL CHECK (verification_status IN ('NOT_VERIFIED', 'VERIFIED', 'EXPIRED')),
  attempt_status text NOT NULL CHECK (attempt_status IN ('PENDING', 'VERIFICATION', 'REJECTED_BY_PROVIDER', 'SUCCESSFUL')),
  rejection_reason text,
  retry_allowed boolean,
  open boolean NOT NULL DEFAULT true,
  -- Hosted page progress (CONSENT, DOCUMENT, SELFIE, SUBMITTED) and the simulated provider's planned verdict (magic values).
  page_step text NOT NULL DEFAULT 'CONSENT' CHECK (page_step IN ('CONSENT', 'DOCUMENT', 'SELFIE', 'SUBMITTED')),
  simulated_outcome jsonb,
  -- The hosted page's link: the SHA-256 of its token only, with its expiry on the partner's clock.
  page_token_hash text UNIQUE,
  page_token_expires_at timestamptz,
  consent_at timestamptz,
  submitted_at timestamptz,
  decided_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX kyc_verifications_one_open ON kyc_verifications (user_id) WHERE open;
CREATE INDEX kyc_verifications_user ON kyc_verifications (user_id, created_at);

-- Proof of address reviews.
CREATE TABLE poa_verifications (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  user_id uuid NOT NULL REFERENCES users(id),
  status text NOT NULL CHECK (status IN ('WAITING', 'APPROVED', 'REJECTED', 'QUESTIONED')),
  reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  decided_at timestamptz
);
CREATE UNIQUE INDEX poa_verifications_one_waiting ON poa_verifications (user_id) WHERE status = 'WAITING';
CREATE INDEX poa_verifications_user ON poa_verifications (user_id, created_at);

-- Add User Verification: the identity document's data, one row per user.
CREATE TABLE user_verifications (
  user_id uuid PRIMARY KEY REFERENCES users(id),
  partner_id uuid NOT NULL REFERENCES partners(id),
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Uploaded files: sealed (AES-256-GCM, the file id as associated data) in the file store under
-- storage_key; the SHA-256 of the plain bytes is kept. Purged with their user.
CREATE TABLE kyc_files (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  user_id uuid NOT NULL REFERENCES users(id),
  kyc_verification_id uuid REFERENCES kyc_verifications(id),
  poa_verification_id uuid REFERENCES poa_verifications(id),
  side text NOT NULL CHECK (side IN ('FRONT', 'BACK', 'SELFIE', 'POA')),
  content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'application/pdf')),
  size integer NOT NULL,
  sha256 text NOT NULL,
  storage_key text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX kyc_files_user ON kyc_files (user_id);
