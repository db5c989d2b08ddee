-- SEPA rail: incoming deposits (first-party name check), whitelisted sender contacts, outgoing transfers.

CREATE TABLE sepa_deposits (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  user_id uuid REFERENCES users(id),
  account_id uuid NOT NULL REFERENCES accounts(id),
  iban text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  sender_name text,
  sender_iban text,
  reference text,
  -- PENDING (name check under review) -> APPROVED (credited) | REJECTED (returned to the sender).
  status text NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED')),
  reason text,
  posting_id uuid REFERENCES postings(id),
  created_at timestamptz NOT NULL,
  decided_at timestamptz
);
CREATE INDEX sepa_deposits_partner ON sepa_deposits (partner_id, id);

-- Sender IBANs approved by the name check, per owner (user_id NULL: the partner itself).
CREATE TABLE sepa_contacts (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  user_id uuid REFERENCES users(id),
  iban text NOT NULL,
  name text,
  created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX sepa_contacts_owner_iban ON sepa_contacts (partner_id, coalesce(user_id, partner_id), iban);

CREATE TABLE sepa_transfers (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  user_id uuid REFERENCES users(id),
  account_id uuid NOT NULL REFERENCES accounts(id),
  amount bigint NOT NULL CHECK (amount > 0),
  fee bigint NOT NULL CHECK (fee >= 0),
  destination_iban text NOT NULL,
  transfer_title text NOT NULL,
  receiver_type text,
  receiver_first_name text,
  receiver_last_name text,
  company_name text,
  -- PENDING (funds held) -> SUCCESSFUL (hold posted) | FAILED (hold voided, money back).
  status text NOT NULL CHECK (status IN ('PENDING', 'SUCCESSFUL', 'FAILED')),
  hold_id uuid NOT NULL REFERENCES holds(id),
  posting_id uuid REFERENCES postings(id),
  error jsonb,
  created_at timestamptz NOT NULL,
  settled_at timestamptz
);
CREATE INDEX sepa_transfers_partner ON sepa_transfers (partner_id, id);
