import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, request } from '../support/app.js';
import { baseEnv, kill, startServer, type Child } from '../jobs/process.js';
import { answer, startReceiver, type Receiver } from '../webhooks/receiver.js';

/**
 * SIGTERM to the process `npm start` started (npm itself, as a process manager or a terminal
 * would send it): the server gets it, answers every request in flight, lets the webhook attempt
 * in flight finish, and the whole process tree exits within SHUTDOWN_TIMEOUT_MS, saying so.
 */
const dirs: string[] = [];
const children: Child[] = [];
let receiver: Receiver | undefined;
afterAll(async () => {
  for (const child of children) await kill(child, 'SIGKILL');
  await receiver?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm start` with its own data directory and port; resolves once the server listens. */
async function npmStart(extra: Record<string, string>) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'centum-shutdown-'));
  dirs.push(dataDir);
  const env = baseEnv({ DATABASE_URL: '', DATA_DIR: dataDir, PORT: String(await freePort()), CENTUM_WORKER: 'true', LOG_LEVEL: 'warn', ...extra });
  const proc = spawn('npm', ['start'], { cwd: path.resolve('.'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const child: Child = { proc, output: () => out, exited };
  children.push(child);
  const [, url, pid] = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening on (http:\/\/\S+) \(.*pid (\d+)\)/.exec(out);
      if (match) {
        clearInterval(timer);
        resolve(match);
      }
    }, 50);
    exited.then(() => {
      clearInterval(timer);
      reject(new Error(`npm start exited before listening:\n${out}`));
    });
  });
  return { ...child, url, serverPid: Number(pid), dataDir, env };
}

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A POST whose body is sent in two parts: the request is in flight until `finish()`. */
function slowPost(url: string, route: string, headers: Record<string, string>, body: string) {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  const lines = [`POST ${route} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', 'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${lines.join('\r\n')}\r\n\r\n${body.slice(0, 5)}`);
  let text = '';
  socket.on('data', (d) => (text += d));
  const response = new Promise<{ status: number; body: any }>((resolve, reject) => {
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      try {
        resolve({ status, body: JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) });
      } catch {
        reject(new Error(`no complete answer: ${JSON.stringify(text)}`));
      }
    });
  });
  return { finish: () => socket.write(body.slice(5)), response, abandon: () => socket.destroy() };
}

/** Requests being handled, by the server's own gauge (this scrape counts itself). */
async function inFlight(url: string): Promise<number> {
  const text = (await request(`${url}/metrics`, 'GET')).body as string;
  return Number(/^http_requests_in_flight (\d+)/m.exec(text)?.[1] ?? 0) - 1;
}

async function until(check: () => Promise<boolean> | boolean, what: string) {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('npm start and SIGTERM', () => {
  it('answers every in-flight request, finishes the webhook attempt in flight, and the process tree exits', async () => {
    receiver = await startReceiver();
    const held: (() => void)[] = [];
    receiver.respond = (_req, res) => void held.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    const server = await npmStart({ SHUTDOWN_TIMEOUT_MS: '30000', WEBHOOK_TIMEOUT_MS: '30000' });
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const partner = (await request(`${server.url}/admin/v1/partners`, 'POST', { name: 'Shutdown' }, admin)).body;
    const key = { 'x-api-key': partner.apiKey };
    expect((await request(`${server.url}/v1/partner/webhook-settings`, 'PUT', { url: receiver.url }, key)).status).toBe(200);
    const iban = (await request(`${server.url}/v1/partner/balances`, 'GET', undefined, key)).body.fiatBalances[0].iban;

    // A deposit whose webhook attempt the receiver holds open: in flight in the worker.
    expect((await request(`${server.url}/v1/sandbox/sepa-deposit`, 'POST', { iban, amount: '1.00' }, key)).status).toBe(201);
    await receiver.waitFor(1);
    // Five deposits whose bodies are half sent: in flight in the HTTP server.
    const slow = [2, 3, 4, 5, 6].map((n) => slowPost(server.url, '/v1/sandbox/sepa-deposit', key, JSON.stringify({ iban, amount: `${n}.00` })));
    await until(async () => (await inFlight(server.url)) >= slow.length, 'the slow requests to arrive');

    server.proc.kill('SIGTERM'); // npm's pid, not the server's
    await until(() => /shutting down \(SIGTERM\)/.test(server.output()), 'the server to start shutting down');
    for (const s of slow) s.finish();
    for (const release of held) release();

    for (const answer of await Promise.all(slow.map((s) => s.response))) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    }
    expect(await server.exited).toBe(0);
    expect(running(server.serverPid)).toBe(false);
    expect(server.output()).toMatch(/Centum stopped after \d+ ms/);
    expect(server.output()).not.toMatch(/did not finish/);

    // Nothing was lost: the six deposits are on the balance, the held webhook attempt was recorded
    // as delivered (not cut off), on the next start.
    receiver.respond = answer(200);
    const again = await startServer({ ...server.env, PORT: '0' });
    children.push(again);
    const balances = await request(`${again.url}/v1/partner/balances`, 'GET', undefined, key);
    expect(balances.body.fiatBalances[0].amount).toBe('21.00');
    const first = (await request(`${again.url}/v1/partner/webhook-deliveries?limit=100`, 'GET', undefined, key)).body.deliveries
      .find((d: any) => d.attempts.length && d.attempts[0].status !== 'PENDING' && ['1', '1.00'].includes(String(d.payload?.amount)));
    expect(first?.attempts.map((a: any) => a.status), JSON.stringify(first)).toEqual(['SUCCEEDED']);
    await kill(again, 'SIGTERM');
  }, 180_000);

  it('exits within SHUTDOWN_TIMEOUT_MS, saying so, when a request never finishes', async () => {
    const server = await npmStart({ SHUTDOWN_TIMEOUT_MS: '1500' });
    const stuck = slowPost(server.url, '/admin/v1/partners', { authorization: `Bearer ${ADMIN_TOKEN}` }, JSON.stringify({ name: 'Never' }));
    stuck.response.catch(() => undefined); // it gets no answer: the process exits first
    await until(async () => (await inFlight(server.url)) >= 1, 'the stuck request to arrive');
    server.proc.kill('SIGTERM');
    expect(await server.exited).toBe(1);
    expect(running(server.serverPid)).toBe(false);
    expect(server.output()).toMatch(/shutdown did not finish within 1500 ms \(SHUTDOWN_TIMEOUT_MS\)/);
    stuck.abandon();
  }, 120_000);
});
