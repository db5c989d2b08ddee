import { CURRENCIES, type CurrencyCode } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import { formatAmount } from '../../kernel/money.js';
import { decodeCursor, encodeCursor } from '../../kernel/schemas.js';
import { validationError } from '../../kernel/errors.js';
import { isUuid } from '../../kernel/ids.js';
import { listAccounts, type Owner } from '../../ledger/index.js';

/**
 * Transaction history: the posting lines on an owner's balances, newest first. It reads the
 * ledger itself, so history and balances cannot disagree. Line ids are UUIDv7 (time ordered),
 * so the id is both the sort key and the cursor.
 */

export interface HistoryFilter {
  currency?: CurrencyCode;
  type?: string;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

interface LineRow {
  id: string;
  posting_id: string;
  account_id: string;
  currency: CurrencyCode;
  amount: bigint;
  created_at: Date;
  kind: string;
  ref_id: string | null;
  description: string | null;
}

function cursorId(cursor: string | undefined): string | undefined {
  const parts = decodeCursor(cursor);
  if (!parts) return undefined;
  if (parts.length !== 1 || typeof parts[0] !== 'string' || !isUuid(parts[0])) throw validationError('cursor is not valid');
  return parts[0];
}

export async function transactionHistory(q: Queryable, owner: Owner, filter: HistoryFilter) {
  const after = cursorId(filter.cursor);
  const accounts = await listAccounts(q, owner);
  const accountIds = accounts.filter((a) => !filter.currency || a.currency === filter.currency).map((a) => a.id);
  if (!accountIds.length) return { transactions: [], nextCursor: null };
  const params: unknown[] = [accountIds];
  const where = ['pl.account_id = ANY($1::uuid[])'];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.type) add('p.kind = ?', filter.type);
  if (filter.from) add('pl.created_at >= ?', filter.from);
  if (filter.to) add('pl.created_at < ?', filter.to);
  if (after) add('pl.id < ?::uuid', after);
  params.push(filter.limit + 1);
  const rows = await q.query<LineRow>(
    `SELECT pl.id, pl.posting_id, pl.account_id, pl.currency, pl.amount, pl.created_at, p.kind, p.ref_id, p.description
     FROM posting_lines pl JOIN postings p ON p.id = pl.posting_id
     WHERE ${where.join(' AND ')}
     ORDER BY pl.id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, filter.limit);
  return {
    transactions: page.map((r) => ({
      id: r.id,
      postingId: r.posting_id,
      type: r.kind,
      currency: r.currency,
      amount: formatAmount(r.amount, CURRENCIES[r.currency].scale),
      direction: r.amount > 0n ? 'CREDIT' : 'DEBIT',
      referenceId: r.ref_id,
      description: r.description,
      status: 'COMPLETED',
      createdAt: r.created_at.toISOString(),
      balanceId: r.account_id,
    })),
    nextCursor: rows.length > filter.limit ? encodeCursor([page[page.length - 1].id]) : null,
  };
}
