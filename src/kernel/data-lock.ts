import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * The embedded database (PGlite) is one process's: two processes opening one PGlite directory
 * overwrite each other's writes, silently. `DATA_DIR/centum.lock` says which process has it: its
 * pid, what it is (server, worker, a CLI command) and, for a server, the address it listens on. A
 * second process is refused with a message naming the first. A lock whose pid no longer runs (the
 * process was killed) is stale and taken over.
 */
export interface LockInfo {
  pid: number;
  /** 'server', 'worker', 'partner create', ... */
  role: string;
  /** The server's address once it listens (http://127.0.0.1:3000), else null. */
  address: string | null;
  startedAt: string;
}

export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string, readonly holder: LockInfo) {
    const who = holder.role === 'server'
      ? `a Centum server (pid ${holder.pid}${holder.address ? `, listening on ${holder.address}` : ', starting'})`
      : `another Centum process (pid ${holder.pid}, centum ${holder.role})`;
    super(`The embedded database in ${dataDir} is in use by ${who}. One process at a time may open it: `
      + (holder.role === 'server' && holder.address
        ? `stop that server first, or use its operator API (${holder.address}/admin/v1/partners, Authorization: Bearer $CENTUM_ADMIN_TOKEN).`
        : 'stop that process first.')
      + ' (Several processes can share a PostgreSQL database: DATABASE_URL.)');
  }
}

export interface DataDirLock {
  readonly file: string;
  /** Records the address the server listens on, for the message a second process gets. */
  setAddress(address: string): void;
  release(): void;
}

/** True when a process with this pid runs (EPERM: it runs, as another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
    return Number.isInteger(info.pid) ? info : undefined;
  } catch {
    return undefined; // gone, or half written by a process killed while writing it
  }
}

/** Takes the lock of `dataDir` for this process; DataDirLockedError when a live process has it. */
export function lockDataDir(dataDir: string, role: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'centum.lock');
  const info: LockInfo = { pid: process.pid, role, address: null, startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644); // exclusive: exactly one process creates it
      writeSync(fd, JSON.stringify(info) + '\n');
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw error;
      const holder = readLock(file);
      if (holder && holder.pid !== process.pid && isRunning(holder.pid)) throw new DataDirLockedError(dataDir, holder);
      if (!holder && attempt === 0) {
        // Being written this instant, or left half written: look again before calling it stale.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        continue;
      }
      // Stale (its process is gone): remove it, unless another process took it over meanwhile, then
      // race the others for a fresh one.
      const now = readLock(file);
      if (now && (now.pid !== holder?.pid || now.startedAt !== holder?.startedAt)) continue;
      try {
        unlinkSync(file);
      } catch {}
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    if (readLock(file)?.pid === process.pid) {
      try {
        unlinkSync(file);
      } catch {}
    }
  };
  process.on('exit', release);
  return {
    file,
    setAddress(address) {
      info.address = address;
      const temp = `${file}.${process.pid}`;
      writeFileSync(temp, JSON.stringify(info) + '\n');
      renameSync(temp, file); // a reader sees the old or the new, never half
    },
    release,
  };
}
