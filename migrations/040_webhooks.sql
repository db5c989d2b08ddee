-- Webhooks: per-partner settings, one delivery (attempt chain) per event plus replays, and every attempt.

CREATE TABLE webhook_settings (
  partner_id uuid PRIMARY KEY REFERENCES partners(id),
  url text,
  enabled boolean NOT NULL DEFAULT true,
  payload_format text NOT NULL DEFAULT 'flat' CHECK (payload_format IN ('flat', 'envelope')),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- status: PENDING (attempts remain), SUCCEEDED, FAILED (all attempts failed), SKIPPED (no URL or
-- webhooks disabled when it was due). Times in the partner's simulated clock.
CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners(id),
  event_id uuid NOT NULL REFERENCES events(id),
  replay_of uuid REFERENCES webhook_deliveries(id),
  status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED', 'SKIPPED')),
  attempt_count integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  last_url text,
  skip_reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
-- One original attempt chain per event, whatever crashes or workers do; replays are extra chains.
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (event_id) WHERE replay_of IS NULL;
CREATE INDEX webhook_deliveries_partner ON webhook_deliveries (partner_id, id);

-- state: SENDING (claimed and committed, HTTP call under way or interrupted), SUCCEEDED, FAILED,
-- INTERRUPTED (the process died before recording the outcome).
CREATE TABLE webhook_attempts (
  id uuid PRIMARY KEY,
  delivery_id uuid NOT NULL REFERENCES webhook_deliveries(id),
  attempt_no integer NOT NULL,
  state text NOT NULL CHECK (state IN ('SENDING', 'SUCCEEDED', 'FAILED', 'INTERRUPTED')),
  url text NOT NULL,
  -- the pre-scheduled job that runs the next attempt (or closes the chain), rescheduled on failure
  next_job_id uuid,
  started_at timestamptz NOT NULL,
  started_real_at timestamptz NOT NULL,
  finished_at timestamptz,
  status_code integer,
  latency_ms integer,
  error text,
  UNIQUE (delivery_id, attempt_no)
);
