-- A transfer's posting links back to it through postings.ref_id (the transfer row is written
-- before the posting, see src/modules/transfers/service.ts), so the forward link is not kept.
ALTER TABLE transfers DROP COLUMN posting_id;
