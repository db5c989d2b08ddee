-- Virtual cards (src/modules/cards). Card data is kept as an issuer must (PCI DSS 3.3-3.5): the card
-- number only sealed (AES-256-GCM, the card id as associated data) with its last four digits in
-- clear and a keyed hash for uniqueness; the CVV is never stored (derived with a keyed function);
-- the PIN only as a keyed hash.
CREATE TABLE cards (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users(id),
  label text NOT NULL,
  status text NOT NULL CHECK (status IN ('ACTIVE', 'LOCKED_BY_USER', 'BLOCKED', 'SUSPENDED', 'DELETED')),
  -- What a user suspension interrupted; unsuspend restores it.
  status_before_suspension text CHECK (status_before_suspension IN ('ACTIVE', 'LOCKED_BY_USER', 'BLOCKED')),
  pan_sealed bytea NOT NULL,
  pan_index text NOT NULL UNIQUE,
  last_digits text NOT NULL,
  exp_month smallint NOT NULL,
  exp_year smallint NOT NULL,
  pin_hash text NOT NULL,
  -- Limits in whole EUR (the contract's numbers).
  monthly_all bigint NOT NULL,
  daily_all bigint NOT NULL,
  monthly_atm bigint NOT NULL,
  daily_atm bigint NOT NULL,
  monthly_ecom bigint NOT NULL,
  daily_ecom bigint NOT NULL,
  created_at timestamptz NOT NULL,
  deleted_at timestamptz
);
CREATE INDEX cards_user ON cards (user_id, created_at);

-- Authorizations from the (simulated) card network: a hold on the user's EUR balance while PENDING.
CREATE TABLE card_authorizations (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL,
  card_id uuid NOT NULL REFERENCES cards(id),
  user_id uuid NOT NULL REFERENCES users(id),
  status text NOT NULL CHECK (status IN ('AWAITING_3DS', 'PENDING', 'CAPTURED', 'REVERSED', 'EXPIRED', 'DECLINED')),
  decline_reason text,
  channel text NOT NULL CHECK (channel IN ('POS', 'ECOM', 'ATM')),
  currency text NOT NULL,
  -- Held while PENDING, captured once CAPTURED (the limits count both); requested is what was asked first.
  amount bigint NOT NULL CHECK (amount >= 0),
  requested bigint NOT NULL,
  refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
  merchant_name text NOT NULL,
  mcc text NOT NULL,
  hold_id uuid REFERENCES holds(id),
  posting_id uuid,
  three_ds_hash text,
  created_at timestamptz NOT NULL,
  resolved_at timestamptz
);
CREATE INDEX card_authorizations_card ON card_authorizations (card_id, created_at);

-- Every reveal of card data (creation answer, Get Card Details): who and when, shown to the partner.
CREATE TABLE card_reveals (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL,
  card_id uuid NOT NULL REFERENCES cards(id),
  reason text NOT NULL,
  request_id text,
  client_ip text,
  revealed_at timestamptz NOT NULL
);
CREATE INDEX card_reveals_card ON card_reveals (card_id, revealed_at);

-- Monthly card fee: one row per card and billing month, so a month is never charged twice.
CREATE TABLE card_fees (
  card_id uuid NOT NULL REFERENCES cards(id),
  period integer NOT NULL,
  posting_id uuid NOT NULL,
  charged_at timestamptz NOT NULL,
  PRIMARY KEY (card_id, period)
);
