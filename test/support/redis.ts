import { createConnection } from 'node:net';

/** The Redis of the Redis-store tests (TEST_REDIS_URL, else the local server). */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Whether that Redis answers. A fresh clone's `npm test` needs only Node.js, so without a Redis
 * server the Redis-store tests are skipped; in CI (CI=true) Redis must be there, so they run.
 */
export const redisReachable = await new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(REDIS_URL);
  const socket = createConnection({ host: hostname, port: Number(port || 6379) });
  socket.setTimeout(500);
  socket.once('connect', () => (socket.destroy(), resolve(true)));
  socket.once('error', () => resolve(false));
  socket.once('timeout', () => (socket.destroy(), resolve(false)));
});
