-- Exchange, internal transfers and orders (issue 4).

-- Rate locks (exchange and orders): a quoted rate and amounts, valid 40 s, used at most once.
-- user_id is null for a partner-level lock. Times are the partner's simulated time.
CREATE TABLE fx_locks (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  user_id uuid REFERENCES users(id),
  purpose text NOT NULL CHECK (purpose IN ('exchange', 'order')),
  currency_from text NOT NULL,
  currency_to text NOT NULL,
  network text,
  amount_from bigint NOT NULL CHECK (amount_from > 0),
  amount_to bigint NOT NULL CHECK (amount_to > 0),
  fee bigint NOT NULL CHECK (fee >= 0),
  rate text NOT NULL,
  mid_rate text NOT NULL,
  fee_percent text NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  used_by uuid,
  created_at timestamptz NOT NULL
);
CREATE INDEX fx_locks_partner ON fx_locks (partner_id, created_at);

CREATE TABLE exchanges (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  user_id uuid REFERENCES users(id),
  lock_id uuid NOT NULL UNIQUE REFERENCES fx_locks(id),
  currency_from text NOT NULL,
  currency_to text NOT NULL,
  amount_from bigint NOT NULL,
  amount_to bigint NOT NULL,
  fee bigint NOT NULL,
  rate text NOT NULL,
  status text NOT NULL CHECK (status IN ('COMPLETED', 'FAILED')),
  posting_id uuid REFERENCES postings(id),
  created_at timestamptz NOT NULL,
  completed_at timestamptz
);
CREATE INDEX exchanges_partner ON exchanges (partner_id, created_at);

-- Internal transfers; a null side is the partner's own balance.
CREATE TABLE transfers (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  source_user_id uuid REFERENCES users(id),
  destination_user_id uuid REFERENCES users(id),
  currency text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  status text NOT NULL,
  posting_id uuid REFERENCES postings(id),
  created_at timestamptz NOT NULL,
  CHECK (source_user_id IS NOT NULL OR destination_user_id IS NOT NULL)
);
CREATE INDEX transfers_partner ON transfers (partner_id, created_at);

-- Orders: a crypto payment to the order's own address, converted to EUR at the locked rate.
CREATE TABLE orders (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  lock_id uuid NOT NULL UNIQUE REFERENCES fx_locks(id),
  currency text NOT NULL,
  network text NOT NULL,
  amount_required bigint NOT NULL,
  eur_amount bigint NOT NULL,
  rate text NOT NULL,
  mid_rate text NOT NULL,
  status text NOT NULL,
  address_family text NOT NULL,
  address text NOT NULL,
  derivation_path text NOT NULL,
  received bigint NOT NULL DEFAULT 0,
  confirmations integer NOT NULL DEFAULT 0,
  required_confirmations integer NOT NULL,
  crypto_deposit_id uuid,
  settled_eur bigint,
  fee_eur bigint,
  posting_id uuid REFERENCES postings(id),
  transaction_hash text,
  expires_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (address_family, address)
);
CREATE INDEX orders_partner ON orders (partner_id, created_at);
