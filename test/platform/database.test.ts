import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, type Db } from '../../src/kernel/db.js';

// Named prepared statements exist only on PostgreSQL (PGlite runs every query unnamed).
describe.skipIf(!process.env.DATABASE_URL)('prepared statements on PostgreSQL (skipped without DATABASE_URL)', () => {
  let db: Db;
  const table = `prepared_${process.pid}_${Date.now()}`;

  beforeAll(async () => {
    db = connectPostgres(process.env.DATABASE_URL!, { poolSize: 2 });
    await db.exec(`CREATE TABLE ${table} (id int PRIMARY KEY); INSERT INTO ${table} VALUES (1)`);
  });
  afterAll(async () => {
    await db.exec(`DROP TABLE IF EXISTS ${table}`);
    await db.close();
  });

  it('keep working after a migration changes the columns of a table they read with SELECT *', async () => {
    const read = `SELECT * FROM ${table} WHERE id = $1`;
    // Prepared on both connections, in and out of a transaction.
    await Promise.all([db.query(read, [1]), db.tx((q) => q.query(read, [1]))]);
    expect(await db.query(read, [1])).toEqual([{ id: 1 }]);

    await db.exec(`ALTER TABLE ${table} ADD COLUMN note text NOT NULL DEFAULT 'added'`);

    expect(await db.query(read, [1])).toEqual([{ id: 1, note: 'added' }]);
    expect(await db.tx((q) => q.query(read, [1]))).toEqual([{ id: 1, note: 'added' }]);
  });
});
