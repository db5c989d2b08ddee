import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError, loadConfig, withSettingsTable } from './config.js';
import { openAndMigrate } from './bootstrap.js';
import { DataDirLockedError } from './kernel/data-lock.js';
import { startWorker } from './jobs/worker.js';
import { workerRuntime } from './modules/index.js';
import { createPartner, listPartners, rotateApiKey } from './modules/partners/index.js';
import { errorsMarkdown } from './kernel/errors-doc.js';
import { openApiText } from './platform/openapi.js';
import { openApiDocument } from './server.js';

const USAGE = `Usage: centum <command> [options]
  migrate                          apply database migrations
  partner create --name NAME       create a partner; prints its API key and webhook token once
  partner list                     list partners
  partner rotate-key --id ID       issue a new API key (the old one stops working)
  worker                           run background jobs (settlements, webhooks) without the HTTP server
  errors-doc [--out FILE]          write the error-code table (docs/errors.md)
  openapi [--out FILE]             write the OpenAPI 3.1 contract (docs/openapi.json), as /openapi.json serves it
  settings-doc                     write the README's settings table (from src/config.ts)
  --help, -h                       this text
  --version, -v                    Centum's version
The server itself: npm start (or node dist/main.js after npm run build).
Settings come from the environment (DATABASE_URL, DATA_DIR, ...), as for the server. On the embedded
database (no DATABASE_URL) only one process may open DATA_DIR: while a server runs there, use its
operator API instead (POST /admin/v1/partners).`;

/** A wrong command line: told with the usage, exit code 2, and nothing opened or created. */
class UsageError extends Error {}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** What to run, checked in full before any setting is read or any file is made. */
type Command =
  | { kind: 'help' | 'version' | 'migrate' | 'partner list' | 'worker' | 'settings-doc' }
  | { kind: 'partner create'; name: string }
  | { kind: 'partner rotate-key'; id: string }
  | { kind: 'errors-doc' | 'openapi'; out?: string };

function parseCommand(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' }, id: { type: 'string' }, out: { type: 'string' },
        help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { positionals, values } = parsed;
  const [command, sub, ...rest] = positionals;
  if (values.help || command === 'help') return { kind: 'help' };
  if (values.version || command === 'version') return { kind: 'version' };
  if (!command) throw new UsageError('no command given');
  const extra = (allowed: number) => {
    if (positionals.length > allowed) throw new UsageError(`unexpected argument: ${positionals[allowed]}`);
  };
  const only = (...options: (keyof typeof values)[]) => {
    const other = Object.keys(values).find((o) => !options.includes(o as keyof typeof values));
    if (other) throw new UsageError(`--${other} does not go with ${[command, sub].filter(Boolean).join(' ')}`);
  };
  if (command === 'partner') {
    if (sub === 'create') {
      extra(2);
      only('name');
      const name = values.name?.trim();
      if (!name) throw new UsageError('partner create needs --name NAME');
      return { kind: 'partner create', name };
    }
    if (sub === 'list') {
      extra(2);
      only();
      return { kind: 'partner list' };
    }
    if (sub === 'rotate-key') {
      extra(2);
      only('id');
      if (!values.id) throw new UsageError('partner rotate-key needs --id ID');
      return { kind: 'partner rotate-key', id: values.id };
    }
    throw new UsageError(sub ? `unknown partner command: ${sub}` : 'partner needs a command: create, list or rotate-key');
  }
  if (command === 'errors-doc' || command === 'openapi') {
    extra(1);
    only('out');
    return { kind: command, out: values.out };
  }
  if (command === 'migrate' || command === 'worker' || command === 'settings-doc') {
    if (rest.length || sub) throw new UsageError(`unexpected argument: ${sub}`);
    only();
    return { kind: command };
  }
  throw new UsageError(`unknown command: ${command}`);
}

async function run(argv: string[]): Promise<number> {
  const command = parseCommand(argv);
  if (command.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (command.kind === 'version') {
    console.log(`centum ${version()}`);
    return 0;
  }
  if (command.kind === 'errors-doc') {
    const text = errorsMarkdown();
    if (command.out) writeFileSync(command.out, text);
    else process.stdout.write(text);
    return 0;
  }
  if (command.kind === 'openapi') {
    const text = openApiText(await openApiDocument());
    if (command.out) writeFileSync(command.out, text);
    else process.stdout.write(text);
    return 0;
  }
  if (command.kind === 'settings-doc') {
    writeFileSync('README.md', withSettingsTable(readFileSync('README.md', 'utf8')));
    return 0;
  }
  const config = loadConfig();
  const { db } = await openAndMigrate(config, command.kind);
  try {
    if (command.kind === 'migrate') {
      console.log('Database is up to date.');
    } else if (command.kind === 'partner create') {
      console.log(JSON.stringify(await createPartner(db, config.secretKey, command.name), null, 2));
    } else if (command.kind === 'partner list') {
      for (const p of await listPartners(db)) console.log(`${p.id}  ${p.api_key_prefix}...  ${p.name}`);
    } else if (command.kind === 'partner rotate-key') {
      console.log(JSON.stringify(await rotateApiKey(db, command.id), null, 2));
    } else if (command.kind === 'worker') {
      const worker = startWorker(db, workerRuntime(config), {
        pollMs: config.workerPollMs, concurrency: 4, retention: config.retention, onError: (e) => console.error('worker error', e),
      });
      console.log('Centum worker running; Ctrl-C stops it.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await worker.stop();
    }
    return 0;
  } finally {
    await db.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof UsageError) {
      console.error(`centum: ${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(error instanceof ConfigError || error instanceof DataDirLockedError ? `Error: ${error.message}` : error);
    process.exit(1);
  },
);
