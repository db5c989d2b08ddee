-- Tables written on every money movement no longer declare a foreign key to partners. Each such key
-- makes every insert lock the partner's row (FOR KEY SHARE); with many concurrent requests of one
-- partner that row turned into a hot multixact rewritten by every transaction (docs/decisions.md,
-- "Foreign keys to partners"). Partners are never deleted, and the code writing these rows has just
-- read the partner (authentication), so the key guarded nothing in practice.
ALTER TABLE postings DROP CONSTRAINT IF EXISTS postings_partner_id_fkey;
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_partner_id_fkey;
ALTER TABLE webhook_deliveries DROP CONSTRAINT IF EXISTS webhook_deliveries_partner_id_fkey;
ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_partner_id_fkey;
ALTER TABLE transfers DROP CONSTRAINT IF EXISTS transfers_partner_id_fkey;
ALTER TABLE sepa_deposits DROP CONSTRAINT IF EXISTS sepa_deposits_partner_id_fkey;

-- A deposit is matched to its address case-insensitively for EVM chains (EIP-55 checksums mix
-- cases); without this index that lookup read every address of the partner.
CREATE INDEX wallet_addresses_lower ON wallet_addresses (lower(address));
