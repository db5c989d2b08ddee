import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError, loadConfig, withSettingsTable } from './config.js';
import { openAndMigrate } from './bootstrap.js';
import { startWorker } from './jobs/worker.js';
import { workerRuntime } from './modules/index.js';
import { createPartner, listPartners, rotateApiKey } from './modules/partners/index.js';
import { errorsMarkdown } from './kernel/errors-doc.js';
import { openApiText } from './platform/openapi.js';
import { openApiDocument } from './server.js';

const USAGE = `Usage: centum <command>
  migrate                          apply database migrations
  partner create --name NAME       create a partner; prints its API key and webhook token once
  partner list                     list partners
  partner rotate-key --id ID       issue a new API key (the old one stops working)
  worker                           run background jobs (settlements, webhooks) without the HTTP server
  errors-doc [--out FILE]          write the error-code table (docs/errors.md)
  openapi [--out FILE]             write the OpenAPI 3.1 contract (docs/openapi.json), as /openapi.json serves it
  settings-doc                     write the README's settings table (from src/config.ts)
Settings come from the environment (DATABASE_URL, DATA_DIR, ...), as for the server.`;

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, id: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, sub] = positionals;
  if (!command || values.help) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (command === 'errors-doc') {
    const text = errorsMarkdown();
    if (values.out) writeFileSync(values.out, text);
    else process.stdout.write(text);
    return 0;
  }
  if (command === 'openapi') {
    const text = openApiText(await openApiDocument());
    if (values.out) writeFileSync(values.out, text);
    else process.stdout.write(text);
    return 0;
  }
  if (command === 'settings-doc') {
    writeFileSync('README.md', withSettingsTable(readFileSync('README.md', 'utf8')));
    return 0;
  }
  const config = loadConfig();
  const db = await openAndMigrate(config);
  try {
    if (command === 'migrate') {
      console.log('Database is up to date.');
    } else if (command === 'partner' && sub === 'create') {
      if (!values.name?.trim()) throw new ConfigError('partner create needs --name');
      console.log(JSON.stringify(await createPartner(db, config.secretKey, values.name.trim()), null, 2));
    } else if (command === 'partner' && sub === 'list') {
      for (const p of await listPartners(db)) console.log(`${p.id}  ${p.api_key_prefix}...  ${p.name}`);
    } else if (command === 'partner' && sub === 'rotate-key') {
      if (!values.id) throw new ConfigError('partner rotate-key needs --id');
      console.log(JSON.stringify(await rotateApiKey(db, values.id), null, 2));
    } else if (command === 'worker') {
      const worker = startWorker(db, workerRuntime(config), {
        pollMs: config.workerPollMs, concurrency: 4, retention: config.retention, onError: (e) => console.error('worker error', e),
      });
      console.log('Centum worker running; Ctrl-C stops it.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await worker.stop();
    } else {
      console.error(USAGE);
      return 2;
    }
    return 0;
  } finally {
    await db.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof ConfigError ? `Error: ${error.message}` : error);
    process.exit(1);
  },
);
