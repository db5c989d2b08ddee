import { connectPostgres } from '../../src/kernel/db.js';
import { migrate } from '../../src/kernel/migrate.js';
import { ensureHouseAccounts } from '../../src/ledger/index.js';

/** With DATABASE_URL set, migrate that database once before the test files run against it. */
export default async function setup() {
  const url = process.env.DATABASE_URL;
  if (!url) return;
  const db = connectPostgres(url, { poolSize: 2 });
  await migrate(db);
  await ensureHouseAccounts(db);
  await db.close();
}
