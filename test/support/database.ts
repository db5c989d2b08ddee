import pg from 'pg';

/**
 * A PostgreSQL database of a test file's own, next to DATABASE_URL's (or `shared`'s; undefined
 * without either).
 * Tests whose child processes run a job worker need one: a worker runs every due job it can see,
 * so on the shared database it would run other test files' jobs.
 */
export async function isolatedDatabase(
  prefix: string,
  shared: string | undefined = process.env.DATABASE_URL,
): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  if (!shared) return undefined;
  const name = `${prefix}_${process.pid}_${Date.now()}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: shared });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(shared);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
