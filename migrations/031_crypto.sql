-- Crypto rail: withdrawals (held, confirmed block by block) and deposits (confirmations, travel rule).

CREATE TABLE crypto_withdrawals (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  user_id uuid REFERENCES users(id),
  account_id uuid NOT NULL REFERENCES accounts(id),
  currency text NOT NULL,
  network text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  service_fee bigint NOT NULL CHECK (service_fee >= 0),
  network_fee bigint NOT NULL CHECK (network_fee >= 0),
  destination text NOT NULL,
  memo text,
  travel_rule jsonb NOT NULL DEFAULT '{}',
  -- PROCESSING (held, broadcast, confirming) -> SUCCESSFUL (hold posted) | FAILED (hold voided).
  status text NOT NULL CHECK (status IN ('PROCESSING', 'SUCCESSFUL', 'FAILED')),
  transaction_hash text NOT NULL,
  confirmations integer NOT NULL DEFAULT 0,
  required_confirmations integer NOT NULL,
  hold_id uuid NOT NULL REFERENCES holds(id),
  posting_id uuid REFERENCES postings(id),
  error jsonb,
  created_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX crypto_withdrawals_partner ON crypto_withdrawals (partner_id, id);

CREATE TABLE crypto_deposits (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  user_id uuid REFERENCES users(id),
  -- NULL for a payment to an order's address: the orders module credits those.
  account_id uuid REFERENCES accounts(id),
  order_id uuid,
  currency text NOT NULL,
  network text NOT NULL,
  address text NOT NULL,
  sender_address text,
  amount bigint NOT NULL CHECK (amount > 0),
  eur_value numeric NOT NULL,
  -- WAITING_FOR_VERIFICATION (confirming) -> WAITING_FOR_TR_DATA (travel rule) -> SUCCESSFUL | UNSUCCESSFUL.
  status text NOT NULL CHECK (status IN ('WAITING_FOR_VERIFICATION', 'WAITING_FOR_TR_DATA', 'SUCCESSFUL', 'UNSUCCESSFUL')),
  reason text,
  transaction_hash text NOT NULL,
  confirmations integer NOT NULL DEFAULT 0,
  required_confirmations integer NOT NULL,
  travel_rule jsonb,
  posting_id uuid REFERENCES postings(id),
  created_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX crypto_deposits_partner ON crypto_deposits (partner_id, id);
