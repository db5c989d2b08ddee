-- Reliability: idempotency leases for routes that cannot run in one transaction, and indexes for
-- the retention sweep (src/jobs/retention.ts).
ALTER TABLE idempotency_keys ADD COLUMN lease_until timestamptz;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
CREATE INDEX jobs_done ON jobs (run_at) WHERE status = 'DONE';
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (updated_at) WHERE status IN ('SUCCEEDED', 'SKIPPED');
