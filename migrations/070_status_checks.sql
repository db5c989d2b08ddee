-- Every status column names its values (the typed unions in src/kernel/statuses.ts say the same).
ALTER TABLE users ADD CONSTRAINT users_status_check
  CHECK (status IN ('WAITING_FOR_VERIFICATION', 'ACTIVE', 'REJECTED', 'SUSPENDED', 'DELETED'));
ALTER TABLE users ADD CONSTRAINT users_status_before_suspension_check
  CHECK (status_before_suspension IS NULL OR status_before_suspension IN ('WAITING_FOR_VERIFICATION', 'ACTIVE', 'REJECTED'));
ALTER TABLE accounts ADD CONSTRAINT accounts_status_check
  CHECK (status IN ('ACTIVE', 'WAITING_TO_BE_ACTIVATED', 'CLOSED'));
ALTER TABLE transfers ADD CONSTRAINT transfers_status_check CHECK (status IN ('SUCCESSFUL'));
ALTER TABLE orders ADD CONSTRAINT orders_status_check
  CHECK (status IN ('WAITING_FOR_WALLET_ADDRESS', 'WAITING_FOR_PAYMENT', 'WAITING_FOR_CONFIRMATION', 'COMPLETED', 'UNDERPAID', 'EXPIRED'));
