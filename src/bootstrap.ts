import path from 'node:path';
import type { Config } from './config.js';
import { lockDataDir, type DataDirLock } from './kernel/data-lock.js';
import { openDatabase, type Db } from './kernel/db.js';
import { migrate } from './kernel/migrate.js';
import { ensureHouseAccounts } from './ledger/index.js';

export interface Opened {
  db: Db;
  /** The embedded database's directory lock (none on PostgreSQL); released when `db` closes. */
  lock?: DataDirLock;
}

/**
 * Opens the configured database (PostgreSQL or embedded PGlite) and brings its schema up to date.
 * The embedded database is locked for this process first (`role` names it in the message a second
 * process gets): DataDirLockedError when another live process has it.
 */
export async function openAndMigrate(config: Config, role = 'server'): Promise<Opened> {
  const lock = config.databaseUrl ? undefined : lockDataDir(config.dataDir, role);
  try {
    const db = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: path.join(config.dataDir, 'pglite'),
      poolSize: config.dbPoolSize,
      acquireTimeoutMs: config.timeouts.dbAcquireMs,
      statementTimeoutMs: config.timeouts.dbStatementMs,
      lockTimeoutMs: config.timeouts.dbLockMs,
    });
    const close = db.close.bind(db);
    const opened: Db = Object.assign(db, {
      close: async () => {
        try {
          await close();
        } finally {
          lock?.release();
        }
      },
    });
    try {
      await migrate(opened);
      await ensureHouseAccounts(opened);
    } catch (error) {
      await opened.close();
      throw error;
    }
    return { db: opened, lock };
  } catch (error) {
    lock?.release();
    throw error;
  }
}
