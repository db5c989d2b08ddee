import { createServer } from 'node:net';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openAndMigrate } from './bootstrap.js';
import { DataDirLockedError } from './kernel/data-lock.js';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './server.js';
import type { Db } from './kernel/db.js';
import { startWorker, type Worker } from './jobs/worker.js';
import { createPartner, listPartners } from './modules/partners/index.js';

/** A start-up failure told in one line (no stack): a busy port, a locked data directory, a bad setting. */
class StartError extends Error {}

function listenError(config: Config, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new StartError(`Port ${config.port} on ${config.host} is already in use: stop what listens there, or set PORT to a free port.`);
  if (code === 'EACCES') return new StartError(`Not allowed to listen on ${config.host}:${config.port}: use a port above 1023, or set HOST/PORT.`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new StartError(`HOST=${config.host} is not an address of this machine.`);
  return error as Error;
}

/** Fails fast, before the database is opened, when the port is taken (the real listen checks again). */
async function probePort(config: Config): Promise<void> {
  if (config.port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject(listenError(config, error)));
    probe.listen({ port: config.port, host: config.host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * The server: open (and lock) the database, listen, then create the demo partner (so its key is
 * printed by a server that is up: a start that fails creates none), run the worker. SIGTERM or
 * SIGINT stops it gracefully within SHUTDOWN_TIMEOUT_MS: no new connections, in-flight requests
 * answered, the worker stops claiming jobs and its running jobs and webhook attempts finish, the
 * database closes.
 */
async function main() {
  const config = loadConfig();
  // What is open so far, for a shutdown at any point (a signal during a first start's migrations
  // waits for them, then closes the database cleanly instead of killing PGlite mid-write).
  const open: { db?: Db; app?: FastifyInstance; worker?: Worker } = {};
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    // Ctrl-C under npm delivers SIGINT twice (the terminal's, and npm's forwarded copy): a repeat
    // does not cut the shutdown short; the bound below ends it in any case.
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    const bound = config.timeouts.shutdownMs;
    console.log(`Centum shutting down (${signal}): finishing in-flight requests, jobs and webhook attempts (at most ${bound} ms)`);
    setTimeout(() => {
      console.log(`Centum shutdown did not finish within ${bound} ms (SHUTDOWN_TIMEOUT_MS): exiting with work unfinished`);
      process.exit(1);
    }, bound);
    if (!open.app) return; // still starting: main() stops at its next step
    Promise.allSettled([open.app.close(), open.worker?.stop()])
      .then(() => open.db?.close())
      .then(
        () => {
          console.log(`Centum stopped after ${Date.now() - started} ms: every in-flight request answered`);
          process.exit(0);
        },
        (error) => {
          console.error('Centum shutdown failed:', error);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  const stopIfAsked = async () => {
    if (!stopping) return;
    await open.app?.close();
    await open.db?.close();
    console.log('Centum stopped before it started listening');
    process.exit(0);
  };

  await probePort(config);
  const opened = await openAndMigrate(config, 'server');
  const { db } = opened;
  open.db = db;
  await stopIfAsked();
  const built = await buildApp({ config, db });
  open.app = built;
  await stopIfAsked();

  let address: string;
  try {
    address = await built.listen({ port: config.port, host: config.host });
  } catch (error) {
    await built.close();
    await db.close();
    throw listenError(config, error);
  }
  opened.lock?.setAddress(address);
  if (stopping) return shutdown('SIGTERM'); // asked while it bound the port: shutdown() had no app yet

  open.worker = config.runWorker
    ? startWorker(db, built.ctx.jobs, { pollMs: config.workerPollMs, retention: config.retention, onError: (err) => built.log.error({ err }, 'worker error') })
    : undefined;

  const banner: string[] = [];
  if (config.demoPartner && (await listPartners(db)).length === 0) {
    const demo = await createPartner(db, config.secretKey, 'Demo partner');
    banner.push(
      'Created a demo partner (its key is shown this once; `centum partner rotate-key --id ' + demo.id + '` issues a new one):',
      `  x-api-key:     ${demo.apiKey}`,
      `  webhook token: ${demo.webhookToken}`,
    );
  }
  if (config.adminTokenGenerated) banner.push(`Operator token for this run (set CENTUM_ADMIN_TOKEN to fix it): ${config.adminToken}`);
  const where = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}/pglite`;
  console.log([`Centum listening on ${address} (database: ${where}, pid ${process.pid})`, ...banner,
    `Try: curl -H 'x-api-key: <key>' ${address}/v1/partner/balances    Docs: ${address}/docs`].join('\n'));
}

main().catch((error) => {
  if (error instanceof ConfigError) console.error(`Configuration error: ${error.message}`);
  else if (error instanceof StartError || error instanceof DataDirLockedError) console.error(`Centum cannot start: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
