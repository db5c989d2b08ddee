import { ConfigError, loadConfig } from './config.js';
import { openAndMigrate } from './bootstrap.js';
import { buildApp } from './server.js';
import { startWorker } from './jobs/worker.js';
import { createPartner, listPartners } from './modules/partners/index.js';

async function main() {
  const config = loadConfig();
  const db = await openAndMigrate(config);
  const app = await buildApp({ config, db });

  const banner: string[] = [];
  if (config.demoPartner && (await listPartners(db)).length === 0) {
    const demo = await createPartner(db, config.secretKey, 'Demo partner');
    banner.push(
      'Created a demo partner (shown once, keep it):',
      `  x-api-key:     ${demo.apiKey}`,
      `  webhook token: ${demo.webhookToken}`,
    );
  }
  if (config.adminTokenGenerated) banner.push(`Operator token for this run (set CENTUM_ADMIN_TOKEN to fix it): ${config.adminToken}`);

  const worker = config.runWorker
    ? startWorker(db, app.ctx.jobs, { pollMs: config.workerPollMs, retention: config.retention, onError: (err) => app.log.error({ err }, 'worker error') })
    : undefined;

  const address = await app.listen({ port: config.port, host: config.host });
  const where = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}/pglite`;
  console.log([`Centum listening on ${address} (database: ${where})`, ...banner,
    `Try: curl -H 'x-api-key: <key>' ${address}/v1/partner/balances    Docs: ${address}/docs`].join('\n'));

  const shutdown = async () => {
    await worker?.stop();
    await app.close();
    await db.close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error);
  process.exit(1);
});
