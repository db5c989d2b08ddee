-- Payment links and hosted checkout (issue 14). Times are the partner's simulated time.

-- A payment link's quotes are rate locks like an order's (src/modules/exchange), purpose 'payment_link'.
ALTER TABLE fx_locks DROP CONSTRAINT fx_locks_purpose_check;
ALTER TABLE fx_locks ADD CONSTRAINT fx_locks_purpose_check CHECK (purpose IN ('exchange', 'order', 'payment_link'));

-- The partner's hosted checkout configuration (one row per partner; defaults when absent).
CREATE TABLE checkout_settings (
  partner_id uuid PRIMARY KEY REFERENCES partners(id),
  display_name text,
  logo_url text,
  accent_color text,
  expiry_minutes integer NOT NULL CHECK (expiry_minutes > 0),
  underpayment_window_minutes integer NOT NULL CHECK (underpayment_window_minutes >= 0),
  payment_tolerance_percent numeric NOT NULL CHECK (payment_tolerance_percent >= 0 AND payment_tolerance_percent <= 10),
  success_url text,
  cancel_url text,
  updated_at timestamptz NOT NULL
);

-- A link: an amount in EUR due, paid by one or more crypto transfers to the link's addresses.
-- Only the SHA-256 of the page token is kept. amount/received/fee are EUR cents.
CREATE TABLE payment_links (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  kind text NOT NULL CHECK (kind IN ('STANDARD', 'CHECKOUT')),
  page_token_hash text NOT NULL UNIQUE,
  amount bigint NOT NULL CHECK (amount > 0),
  received bigint NOT NULL DEFAULT 0 CHECK (received >= 0),
  fee bigint NOT NULL DEFAULT 0 CHECK (fee >= 0),
  description text,
  reference text,
  credit_user_id uuid REFERENCES users(id),
  display_name text,
  logo_url text,
  accent_color text,
  success_url text,
  cancel_url text,
  tolerance_percent numeric NOT NULL,
  underpayment_window_seconds integer NOT NULL,
  status text NOT NULL CHECK (status IN ('WAITING_FOR_PAYMENT', 'CONFIRMING', 'AWAITING_COMPLETION', 'COMPLETED', 'EXPIRED')),
  exception text CHECK (exception IS NULL OR exception IN ('UNDERPAID', 'OVERPAID', 'PAID_LATE', 'MULTIPLE')),
  quote_id uuid REFERENCES fx_locks(id),
  expires_at timestamptz NOT NULL,
  window_ends_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX payment_links_partner ON payment_links (partner_id, created_at);

-- One deposit address per link and network (derived like order addresses).
CREATE TABLE payment_link_addresses (
  link_id uuid NOT NULL REFERENCES payment_links(id),
  partner_id uuid NOT NULL REFERENCES partners(id),
  network text NOT NULL,
  family text NOT NULL,
  address text NOT NULL,
  derivation_path text NOT NULL,
  PRIMARY KEY (link_id, network)
);
CREATE INDEX payment_link_addresses_lookup ON payment_link_addresses (partner_id, network, lower(address));

-- Every on-chain transfer to a link's address: CONFIRMING, then SETTLED exactly once (one per
-- crypto deposit; the posting's id is the row's id, so a second posting cannot exist).
CREATE TABLE payment_link_transactions (
  id uuid PRIMARY KEY,
  link_id uuid NOT NULL REFERENCES payment_links(id),
  crypto_deposit_id uuid NOT NULL UNIQUE,
  currency text NOT NULL,
  network text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  transaction_hash text NOT NULL,
  confirmations integer NOT NULL DEFAULT 0,
  required_confirmations integer NOT NULL,
  status text NOT NULL CHECK (status IN ('CONFIRMING', 'SETTLED')),
  quote_id uuid REFERENCES fx_locks(id),
  rate text,
  eur_amount bigint,
  fee bigint,
  late boolean NOT NULL DEFAULT false,
  posting_id uuid UNIQUE REFERENCES postings(id),
  detected_at timestamptz NOT NULL,
  settled_at timestamptz
);
CREATE INDEX payment_link_transactions_link ON payment_link_transactions (link_id, detected_at);

-- NULL unless the deposit paid a payment link (the payment-links module credits those).
ALTER TABLE crypto_deposits ADD COLUMN payment_link_id uuid;

-- A link's quotes, read when a transfer to it settles (the quote valid when it was seen).
CREATE INDEX fx_locks_payment_link ON fx_locks (used_by, currency_from, created_at) WHERE purpose = 'payment_link';
