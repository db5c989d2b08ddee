import path from 'node:path';
import type { Config } from './config.js';
import { openDatabase, type Db } from './kernel/db.js';
import { migrate } from './kernel/migrate.js';
import { ensureHouseAccounts } from './ledger/index.js';

/** Opens the configured database (PostgreSQL or embedded PGlite) and brings its schema up to date. */
export async function openAndMigrate(config: Config): Promise<Db> {
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: path.join(config.dataDir, 'pglite'),
    poolSize: config.dbPoolSize,
    acquireTimeoutMs: config.timeouts.dbAcquireMs,
    statementTimeoutMs: config.timeouts.dbStatementMs,
    lockTimeoutMs: config.timeouts.dbLockMs,
  });
  await migrate(db);
  await ensureHouseAccounts(db);
  return db;
}
