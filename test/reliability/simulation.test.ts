import { afterAll, describe, expect, it } from 'vitest';
import { CURRENCIES, type CurrencyCode, type NetworkCode } from '../../src/kernel/currencies.js';
import { connectPostgres, type Db, type FaultInjector } from '../../src/kernel/db.js';
import { Decimal } from '../../src/kernel/money.js';
import { checkInvariant } from '../../src/ledger/index.js';
import { deriveAddress } from '../../src/rails/chains/addresses.js';
import { failingAddress } from '../../src/rails/chains/simulator.js';
import { FAILING_IBAN } from '../../src/rails/sepa/simulator.js';
import { startTestApp, type ApiResponse, type TestApp, type TestPartner } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';

/**
 * Seeded random simulation (reliability suite, part d): thousands of operations over every money
 * endpoint (transfers, exchanges, SEPA and crypto payouts, orders), sandbox deposits, KYC
 * decisions, user suspension and deletion, and clock advances, run one after another against a
 * real server whose driver fails statements with injected serialization failures (40001) and
 * deadlocks (40P01). Most POSTs carry an Idempotency-Key and are retried with it after 503 P501;
 * some answered ones are sent again (must replay, move nothing) or with another body (P601).
 *
 * A model of every balance (posted and held) is kept from the API's answers. Checks:
 * - after every step, on the database (un-faulted): every balance equals the model, none is
 *   negative, sums per currency are zero, pending debits equal the pending holds, each hold
 *   resolves once (PENDING -> POSTED with exactly one posting of its own, or VOIDED with none,
 *   never changing afterwards), no business object has two postings;
 * - every 10 steps: the ledger's `checkInvariant` (posted = sum of lines, a full scan) and every
 *   finished transfer, exchange, SEPA transfer/deposit, withdrawal and deposit posted exactly
 *   when it succeeded;
 * - every 5 steps, through the API, for the owners touched since: available balances equal the
 *   model and the sum of the new history items keeps the sum of history equal to posted
 *   (history lists posted lines only; available = posted - held);
 * - every 250 steps and at the end: every owner's balances and whole history, read from scratch.
 * Any P500, a 503 without P501 and Retry-After, or a refusal the model did not expect fails too.
 *
 * SIM_SEED=<n> replays a run: operations, amounts and which statements fail are a function of the
 * seed (faults are keyed by step, statement text and its occurrence in the step, so a job that
 * runs a moment earlier or later in real time moves no fault into another step). Operations run
 * one at a time (no concurrent bursts: concurrency would make the fault schedule depend on timing;
 * test/reliability/lock-order.test.ts covers concurrency).
 * SIM_OPS=<n> sets the number of operations (default 2,000 on PostgreSQL, 300 on PGlite),
 * SIM_FAULT_RATE the probability of a fault before and after each statement (0.02).
 *
 * On PostgreSQL the run gets a database of its own (next to DATABASE_URL's), so the global checks
 * (sums per currency, holds, postings) see only its rows; the checks use a second, un-faulted
 * connection pool. On PGlite (one in-memory database) the injector is switched off for the checks.
 */

const PG = process.env.DATABASE_URL;
const SEED = process.env.SIM_SEED !== undefined ? Number(process.env.SIM_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const OPS = Number(process.env.SIM_OPS ?? (PG ? 2000 : 300));
/** Probability that one statement fails, before it is sent and again after it ran (in a transaction). */
const FAULT_RATE = Number(process.env.SIM_FAULT_RATE ?? 0.02);
/** Users (not deleted) the simulation keeps at most (more would only make the checks longer). */
const MAX_USERS = 25;
/** The ledger's own full-scan invariant check every this many steps (the cheaper checks run every step). */
const LEDGER_CHECK_EVERY = 10;
/** The API's view (balances, history) of the owners touched since, every this many steps. */
const API_CHECK_EVERY = Number(process.env.SIM_API_CHECK_EVERY ?? 5);
/** Full checks (every owner's balances and whole history) every this many steps, and at the end. */
const FULL_CHECK_EVERY = 250;

console.log(`simulation: seed ${SEED}, ${OPS} operations, fault rate ${FAULT_RATE} (replay: SIM_SEED=${SEED})`);

// ---------------------------------------------------------------------------------------------
// Seeded randomness

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fnv1a(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

class Rng {
  private next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  /** A bigint in [min, max]. */
  big(min: bigint, max: bigint): bigint {
    if (max <= min) return min;
    const span = max - min + 1n;
    const r = BigInt(Math.floor(this.next() * 2 ** 26)) * 2n ** 26n + BigInt(Math.floor(this.next() * 2 ** 26));
    return min + (r % span);
  }
}

// ---------------------------------------------------------------------------------------------
// Fault injection

const CONTROL = /^\s*(SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT)\b/i;

/**
 * Fails statements with 40001 or 40P01. Whether the n-th execution of a statement text in step s
 * fails is a hash of (seed, s, text, n): a pure function of the seed and what the step runs.
 * Control statements (savepoints) are left alone: PostgreSQL does not fail those with 40001/40P01.
 */
class SeededFaults implements FaultInjector {
  on = false;
  step = 0;
  readonly injected = { '40001': 0, '40P01': 0 };
  private seen = new Map<string, number>();
  private textHash = new Map<string, number>();
  constructor(private readonly seed: number, private readonly rate: number) {}

  beginStep(step: number) {
    this.step = step;
    this.seen.clear();
  }

  private decide(sql: string, phase: string): void {
    if (!this.on || this.rate <= 0 || CONTROL.test(sql)) return;
    let h = this.textHash.get(sql);
    if (h === undefined) {
      h = fnv1a(sql);
      this.textHash.set(sql, h);
    }
    const key = `${phase}:${h}`;
    const n = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, n);
    const r = mulberry32(fnv1a(`${this.seed}:${this.step}:${key}:${n}`))();
    if (r >= this.rate) return;
    const code = r < this.rate / 2 ? '40001' : '40P01';
    this.injected[code]++;
    const error = new Error(code === '40001'
      ? 'could not serialize access due to concurrent update (injected)'
      : 'deadlock detected (injected)') as Error & { code: string };
    error.code = code;
    throw error;
  }

  beforeStatement(sql: string) {
    this.decide(sql, 'before');
  }

  afterStatement(sql: string) {
    this.decide(sql, 'after');
  }
}

// ---------------------------------------------------------------------------------------------
// Money helpers

type Cur = CurrencyCode;
const scaleOf = (c: Cur) => CURRENCIES[c].scale;
const toMinor = (value: string | number, c: Cur): bigint =>
  BigInt(new Decimal(value).mul(new Decimal(10).pow(scaleOf(c))).toFixed(0, Decimal.ROUND_DOWN));
const fmt = (minor: bigint, c: Cur): string => new Decimal(minor.toString()).div(new Decimal(10).pow(scaleOf(c))).toFixed(scaleOf(c));
const CURRENCY_LIST = Object.keys(CURRENCIES) as Cur[];
const CRYPTO: Cur[] = CURRENCY_LIST.filter((c) => c !== 'eur');
/** Minor units of one whole unit, for amounts that make sense per currency. */
const unit = (c: Cur) => 10n ** BigInt(scaleOf(c));
/** A typical largest deposit per currency (whole units). */
const DEPOSIT_UNITS: Record<Cur, bigint> = { eur: 5000n, btc: 1n, eth: 20n, ltc: 200n, doge: 100000n, pol: 20000n, usdc: 10000n, usdt: 10000n };
/** The EVM-hosted tokens can arrive on ethereum or polygon; everything else on its only network. */
const NETWORKS: Record<Cur, NetworkCode[]> = {
  eur: [], btc: ['btc'], eth: ['ethereum'], ltc: ['ltc'], doge: ['doge'], pol: ['polygon'], usdc: ['ethereum', 'polygon'], usdt: ['ethereum', 'polygon'],
};
/** The smallest amount an operation picks: worth a few EUR (exchanges need 1.00 EUR's worth). */
const MIN_AMOUNT: Record<Cur, bigint> = {
  eur: 200n, btc: 10_000n, eth: 200_000n, ltc: 5_000_000n, doge: 2_000_000_000n, pol: 1_000_000_000n, usdc: 3_000_000n, usdt: 3_000_000n,
};
const networkOf = (c: Cur, code: NetworkCode) => CURRENCIES[c].networks.find((n) => n.code === code)!;
const OUTSIDE = { btc: deriveAddress('outside-world', 'btc', 1).address, ltc: deriveAddress('outside-world', 'ltc', 1).address,
  doge: deriveAddress('outside-world', 'doge', 1).address, evm: deriveAddress('outside-world', 'evm', 1).address };
const outsideAddress = (network: NetworkCode) =>
  network === 'btc' ? OUTSIDE.btc : network === 'ltc' ? OUTSIDE.ltc : network === 'doge' ? OUTSIDE.doge : OUTSIDE.evm;
const DEST_IBAN = 'DE89370400440532013000';

/** SEPA fee of the default settings: 0.1 % rounded up to the cent, at least 1.00 EUR. */
const sepaFee = (amount: bigint) => {
  const fee = (amount + 999n) / 1000n;
  return fee > 100n ? fee : 100n;
};

// ---------------------------------------------------------------------------------------------
// The model

type UserStatus = 'WAITING' | 'ACTIVE' | 'REJECTED' | 'SUSPENDED' | 'DELETED';
interface ModelUser {
  id: string;
  kyc: boolean;
  status: UserStatus;
  before?: UserStatus;
  iban?: string;
  wallets: Partial<Record<Cur, string>>;
  /** EUR balance usable (ACTIVE): non-KYC users at once, KYC users once approved. */
  eurActive: boolean;
}

/** '' is the partner; anything else a user's externalUserId. */
type Owner = string;

interface Pending {
  kind: 'sepa_transfer' | 'withdrawal' | 'crypto_deposit' | 'sepa_deposit';
  id: string;
  owner: Owner;
  currency: Cur;
  /** Held (transfers, withdrawals) or to be credited (deposits), in minor units. */
  amount: bigint;
  /** The outcome the simulated rail must give. */
  expect: 'success' | 'failure' | 'depends';
  advances: number;
  order?: string;
  fee?: bigint;
}

interface ModelOrder {
  id: string;
  currency: Cur;
  network: NetworkCode;
  rate: string;
  required: bigint;
  status: string;
  address?: string;
  /** The deposit that is the order's own payment, once made. */
  payment?: { depositId: string; amount: bigint };
  settled: boolean;
  advances: number;
}

interface KeptRequest {
  method: string;
  path: string;
  body: unknown;
  key: string;
  status: number;
  response: unknown;
}

class Model {
  posted = new Map<Owner, Map<Cur, bigint>>();
  pending = new Map<Owner, Map<Cur, bigint>>();
  users = new Map<string, ModelUser>();
  inFlight: Pending[] = [];
  orders: ModelOrder[] = [];
  kept: KeptRequest[] = [];
  usedLocks: { path: string; body: Record<string, unknown> }[] = [];

  private cell(map: Map<Owner, Map<Cur, bigint>>, owner: Owner) {
    let m = map.get(owner);
    if (!m) map.set(owner, (m = new Map()));
    return m;
  }
  posted_(owner: Owner, c: Cur): bigint {
    return this.posted.get(owner)?.get(c) ?? 0n;
  }
  pending_(owner: Owner, c: Cur): bigint {
    return this.pending.get(owner)?.get(c) ?? 0n;
  }
  available(owner: Owner, c: Cur): bigint {
    return this.posted_(owner, c) - this.pending_(owner, c);
  }
  move(owner: Owner, c: Cur, delta: bigint) {
    const m = this.cell(this.posted, owner);
    m.set(c, (m.get(c) ?? 0n) + delta);
  }
  hold(owner: Owner, c: Cur, delta: bigint) {
    const m = this.cell(this.pending, owner);
    m.set(c, (m.get(c) ?? 0n) + delta);
  }
  liveUsers(): [string, ModelUser][] {
    return [...this.users].filter(([, u]) => u.status !== 'DELETED');
  }
}

/** Counters printed at the end. */
const stats = {
  operations: 0,
  byKind: new Map<string, { ok: number; refused: number; codes: Map<string, number> }>(),
  checkMs: 0,
  dbCheckMs: 0,
  requests: 0,
  keyed: 0,
  retriedAfter503: 0,
  retries503: 0,
  unkeyed503: 0,
  replays: 0,
  conflicts: 0,
  checks: 0,
  fullChecks: 0,
  historyPages: 0,
};

// ---------------------------------------------------------------------------------------------

describe('seeded simulation with injected serialization failures and deadlocks', () => {
  let t: TestApp | undefined;
  let own: { url: string; drop: () => Promise<void> } | undefined;
  let checkDb: Db | undefined;
  afterAll(async () => {
    await t?.close();
    if (checkDb && checkDb !== t?.db) await checkDb.close();
    await own?.drop();
  });

  it(`runs ${OPS} operations (seed ${SEED}) and keeps every invariant after every step`, async () => {
    const started = Date.now();
    const faults = new SeededFaults(SEED, FAULT_RATE);
    own = await isolatedDatabase('centum_sim');
    const env: Record<string, string> = {
      CENTUM_FX_MODE: 'fixed',
      // Every request looks its key up: the statements a step runs do not depend on real time.
      AUTH_CACHE_MS: '0',
      // The review ends before the next clock advance (3600 s or more) whatever real time passed.
      CENTUM_SEPA_REVIEW_SECONDS: '1800',
      CENTUM_TRAVEL_RULE_THRESHOLD_EUR: '100000000',
      RATE_LIMIT_MAX: '10000000',
      DB_POOL_SIZE: '4',
      LOG_LEVEL: process.env.SIM_LOG_LEVEL ?? 'silent',
    };
    if (own) env.DATABASE_URL = own.url;
    t = await startTestApp(env, { faults });
    checkDb = own ? connectPostgres(own.url, { poolSize: 2 }) : t.db;
    const db = checkDb;
    const partner: TestPartner = await t.createPartner('Simulation');
    const rng = new Rng(SEED);
    const m = new Model();
    let step = 0;
    let partnerIban = '';
    const partnerWallets: Partial<Record<Cur, string>> = {};
    const where = (what = '') => `seed ${SEED} step ${step}${what ? `: ${what}` : ''}`;

    // -------------------------------------------------------------------------------------------
    // Requests: faults on while an operation runs; 503 P501 retried with the same key.

    let keyCounter = 0;
    const newKey = () => `sim-${SEED}-${++keyCounter}`;

    const raw = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> => {
      stats.requests++;
      return partner.call(method, path, body, headers);
    };

    /** A request of an operation. POSTs carry an Idempotency-Key when `keyed`. */
    async function send(method: string, path: string, body?: unknown, keyed = false): Promise<ApiResponse> {
      const key = keyed && method === 'POST' ? newKey() : undefined;
      if (key) stats.keyed++;
      const headers: Record<string, string> = key ? { 'idempotency-key': key } : {};
      faults.on = true;
      let res: ApiResponse;
      try {
        res = await raw(method, path, body, headers);
        let tries = 0;
        while (res.status === 503) {
          expect(res.body?.errorCode, where(`503 without P501: ${JSON.stringify(res.body)}`)).toBe('P501');
          expect(res.headers.get('retry-after'), where('503 without Retry-After')).toBe('1');
          if (!key) {
            stats.unkeyed503++;
            break; // nothing was applied: the model moves nothing
          }
          if (tries === 0) stats.retriedAfter503++;
          stats.retries503++;
          expect(++tries, where(`${method} ${path} still 503 after ${tries} retries`)).toBeLessThan(60);
          res = await raw(method, path, body, headers);
          // A 503 keeps no answer, so the retry runs the request: it is never a replay.
          if (res.status !== 503) expect(res.headers.get('idempotent-replayed'), where(`retry of ${key} was a replay`)).toBeNull();
        }
      } finally {
        faults.on = false;
      }
      expect(res.body?.errorCode, where(`${method} ${path} answered P500: ${JSON.stringify(res.body)}`)).not.toBe('P500');
      expect(res.status, where(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`)).not.toBe(500);
      expect(res.body?.errorCode, where(`${method} ${path} in progress (P602) in a sequential run`)).not.toBe('P602');
      if (key && res.status !== 503) m.kept.push({ method, path, body, key, status: res.status, response: res.body });
      return res;
    }

    /** A lookup for the model (not part of an operation): no faults. */
    async function look(path: string): Promise<any> {
      const res = await raw('GET', path);
      expect(res.status, where(`GET ${path}: ${JSON.stringify(res.body)}`)).toBe(200);
      return res.body;
    }

    const count = (kind: string, ok: boolean, code?: string) => {
      const c = stats.byKind.get(kind) ?? { ok: 0, refused: 0, codes: new Map<string, number>() };
      if (ok) c.ok++;
      else {
        c.refused++;
        c.codes.set(code ?? '?', (c.codes.get(code ?? '?') ?? 0) + 1);
      }
      stats.byKind.set(kind, c);
    };

    /** The answer must be `ok` (2xx) or one of `codes`; returns whether it succeeded. */
    function outcome(kind: string, res: ApiResponse, expected: 'ok' | string[] | 'any', what: string): boolean {
      const ok = res.status >= 200 && res.status < 300;
      if (res.status === 503) {
        count(kind, false, '503');
        return false; // an unkeyed request the database could not serve: nothing applied
      }
      const got = ok ? 'ok' : res.body?.errorCode;
      if (expected !== 'any') {
        const allowed = expected === 'ok' ? ['ok'] : expected;
        expect(allowed, where(`${kind} ${what}: got ${res.status} ${JSON.stringify(res.body)}`)).toContain(got);
      }
      count(kind, ok, res.body?.errorCode);
      return ok;
    }

    // -------------------------------------------------------------------------------------------
    // Who may move money (the error a request must get, in the server's order of checks)

    /** Errors of a user for money movement in `c`, or [] when usable. */
    function userProblem(id: string | undefined, c: Cur): string[] {
      if (id === undefined) return [];
      const u = m.users.get(id);
      if (!u) return ['P412'];
      if (u.status === 'DELETED') return ['P610'];
      if (u.status === 'SUSPENDED') return ['P455'];
      if (u.status === 'REJECTED') return ['P459'];
      if (c === 'eur' && !u.eurActive) return ['P612'];
      return [];
    }

    const pickUser = (filter: (u: ModelUser) => boolean = () => true): string | undefined => {
      const ids = [...m.users].filter(([, u]) => filter(u)).map(([id]) => id);
      return ids.length ? rng.pick(ids) : undefined;
    };
    const anyUser = () => pickUser();
    /** Usually a user who may move money, sometimes any user not deleted. */
    const liveUser = () => (rng.chance(0.8) ? pickUser((u) => u.status === 'ACTIVE') : undefined) ?? pickUser((u) => u.status !== 'DELETED');

    /** A currency to debit from `owner`: mostly one it holds enough of. */
    function debitCurrency(owner: Owner, candidates: readonly Cur[]): Cur {
      const held = candidates.filter((c) => m.available(owner, c) >= MIN_AMOUNT[c] * 2n);
      return held.length && rng.chance(0.85) ? rng.pick(held) : rng.pick(candidates);
    }

    /** An amount for a debit of `available`: usually within it, sometimes (8 %) more than it. */
    function debitAmount(available: bigint, c: Cur): bigint {
      const min = MIN_AMOUNT[c];
      if (available < min * 2n || rng.chance(0.08)) return available + rng.big(1n, min * 10n);
      const max = rng.chance(0.2) ? available : available / 4n;
      return rng.big(min, max < min ? min : max);
    }

    // -------------------------------------------------------------------------------------------
    // Operations. Each returns the owners whose balances it may have touched.

    async function createUser(): Promise<Owner[]> {
      // At most MAX_USERS not deleted: beyond that an existing id is sent again (P411).
      const reuse = m.users.size > 0 && (m.liveUsers().length >= MAX_USERS || rng.chance(0.05));
      const id = reuse ? anyUser()! : `u${m.users.size + 1}`;
      const kyc = rng.chance(0.5);
      const path = kyc ? '/v1/user/balances/crypto-and-fiat' : '/v1/user/balances/crypto';
      const res = await send('POST', path, { externalUserId: id, email: `${id}@example.com`, firstName: 'Ada', lastName: 'Lovelace', country: 'PL' }, rng.chance(0.6));
      if (outcome('create_user', res, reuse ? ['P411'] : 'ok', id) && !reuse) {
        const view = await look(`/v1/user/balances/${id}`);
        const wallets: Partial<Record<Cur, string>> = {};
        for (const b of view.cryptoBalances) wallets[b.name as Cur] = b.wallet;
        m.users.set(id, { id: res.body.userId, kyc, status: kyc ? 'WAITING' : 'ACTIVE', wallets, eurActive: !kyc });
      }
      return [];
    }

    async function kycDecision(): Promise<Owner[]> {
      const id = pickUser((u) => u.kyc && u.status === 'WAITING') ?? anyUser();
      if (!id) return [];
      const u = m.users.get(id)!;
      const decision = rng.chance(0.9) ? 'APPROVED' : 'REJECTED';
      const expected = u.status === 'DELETED' ? ['P610'] : !u.kyc ? ['P614'] : u.status !== 'WAITING' ? ['P617', 'P455'] : 'ok';
      const res = await send('POST', '/v1/sandbox/kyc-decision', { externalUserId: id, decision }, rng.chance(0.5));
      if (outcome('kyc_decision', res, expected, `${id} ${decision} (${u.status})`)) {
        u.status = decision === 'APPROVED' ? 'ACTIVE' : 'REJECTED';
        if (decision === 'APPROVED') {
          u.eurActive = true;
          const view = await look(`/v1/user/balances/${id}`);
          u.iban = view.fiatBalances[0].iban;
          expect(u.iban, where(`${id} approved without an IBAN`)).toBeTruthy();
        }
      }
      return [id];
    }

    async function transfer(): Promise<Owner[]> {
      const shape = rng.chance(0.05) ? 'bad' : rng.pick(['p2u', 'p2u', 'u2p', 'u2u', 'u2u'] as const);
      let src: string | undefined;
      let dst: string | undefined;
      if (shape === 'p2u') dst = rng.chance(0.9) ? liveUser() : anyUser();
      else if (shape === 'u2p') src = rng.chance(0.9) ? liveUser() : anyUser();
      else if (shape === 'u2u') {
        src = rng.chance(0.9) ? liveUser() : anyUser();
        dst = rng.chance(0.9) ? liveUser() : anyUser();
      } else {
        src = rng.chance(0.5) ? 'nobody' : liveUser();
        dst = src;
      }
      if (src === undefined && dst === undefined) return [];
      const c: Cur = debitCurrency(src ?? '', rng.chance(0.5) ? ['eur'] : CURRENCY_LIST);
      const from: Owner = src ?? '';
      const to: Owner = dst ?? '';
      // The partner funds users with up to a deposit's worth at a time, so its balance lasts.
      const cap = DEPOSIT_UNITS[c] * unit(c);
      const available = m.available(from, c);
      const amount = from === '' && available > cap ? debitAmount(cap, c) : debitAmount(available, c);
      const body: Record<string, string> = { currency: rng.chance(0.1) ? c.toUpperCase() : c, amount: fmt(amount, c) };
      if (src !== undefined) body.sourceExternalUserId = src;
      if (dst !== undefined) body.destinationExternalUserId = dst;
      let expected: 'ok' | string[];
      if (src !== undefined && src === dst) expected = ['P628', 'P412'];
      else {
        const problems = [...userProblem(src, c), ...userProblem(dst, c)];
        expected = problems.length ? problems : m.available(from, c) < amount ? ['P433'] : 'ok';
      }
      const res = await send('POST', '/v1/transfer', body, rng.chance(0.6));
      if (outcome('transfer', res, expected, JSON.stringify(body))) {
        m.move(from, c, -amount);
        m.move(to, c, amount);
      }
      return [from, to];
    }

    async function sepaDeposit(): Promise<Owner[]> {
      const toUser = rng.chance(0.5) ? pickUser((u) => u.iban !== undefined) : undefined;
      const owner: Owner = toUser ?? '';
      const iban = toUser ? m.users.get(toUser)!.iban! : partnerIban;
      const amount = rng.big(100n, DEPOSIT_UNITS.eur * 100n);
      const name = toUser ? rng.pick([undefined, undefined, undefined, 'Ada Smith', 'John Smith']) : undefined;
      const body: Record<string, string> = { iban, amount: fmt(amount, 'eur') };
      if (name) body.senderName = name;
      const u = toUser ? m.users.get(toUser)! : undefined;
      const expected = u?.status === 'DELETED' ? ['P610'] : 'any';
      const res = await send('POST', '/v1/sandbox/sepa-deposit', body, rng.chance(0.6));
      if (outcome('sepa_deposit', res, expected, JSON.stringify(body))) {
        if (res.body.status === 'APPROVED') {
          expect(name, where('a deposit whose sender name differs was credited at once')).toBeUndefined();
          m.move(owner, 'eur', amount);
        } else {
          expect(res.body.status, where(`sepa deposit ${JSON.stringify(res.body)}`)).toBe('PENDING');
          expect(name, where('a deposit without a sender name went to review')).toBeDefined();
          m.inFlight.push({ kind: 'sepa_deposit', id: res.body.depositId, owner, currency: 'eur', amount,
            expect: name === 'Ada Smith' ? 'depends' : 'failure', advances: 0 });
        }
      }
      return [owner];
    }

    async function cryptoDeposit(): Promise<Owner[]> {
      const toUser = rng.chance(0.6) ? (rng.chance(0.95) ? liveUser() : anyUser()) : undefined;
      const owner: Owner = toUser ?? '';
      const c = rng.pick(CRYPTO);
      const network = rng.pick(NETWORKS[c]);
      const wallet = toUser ? m.users.get(toUser)!.wallets[c]! : partnerWallets[c]!;
      const amount = rng.big(unit(c) / 100n, DEPOSIT_UNITS[c] * unit(c));
      const body = { address: wallet, currency: c, network, amount: fmt(amount, c) };
      const u = toUser ? m.users.get(toUser) : undefined;
      const res = await send('POST', '/v1/sandbox/crypto-deposit', body, rng.chance(0.6));
      if (outcome('crypto_deposit', res, u?.status === 'DELETED' ? ['P610'] : 'ok', JSON.stringify(body))) {
        const below = amount < toMinor(networkOf(c, network).minDeposit, c);
        expect(res.body.status, where(`crypto deposit ${JSON.stringify(body)}`)).toBe(below ? 'UNSUCCESSFUL' : 'WAITING_FOR_VERIFICATION');
        if (!below) m.inFlight.push({ kind: 'crypto_deposit', id: res.body.cryptoDepositId, owner, currency: c, amount, expect: 'depends', advances: 0 });
      }
      return [owner];
    }

    async function exchange(): Promise<Owner[]> {
      const forUser = rng.chance(0.65) ? (rng.chance(0.9) ? liveUser() : anyUser()) : undefined;
      const owner: Owner = forUser ?? '';
      const from: Cur = debitCurrency(owner, CURRENCY_LIST);
      const to: Cur = rng.pick(CURRENCY_LIST.filter((c) => c !== from));
      const available = m.available(owner, from);
      const amount = debitAmount(available, from);
      const query = `currencyFrom=${from}&currencyTo=${to}&amount=${fmt(amount, from)}`;
      const lockPath = forUser ? `/v1/exchange/get-lock/${forUser}?${query}` : `/v1/partner/exchange/get-lock?${query}`;
      const lock = await send('GET', lockPath);
      if (lock.status !== 200) {
        // Too small (P615), an unusable user, or the database could not serve it.
        const problems = forUser ? userProblem(forUser, 'btc') : [];
        outcome('exchange_lock', lock, problems.length ? problems : ['P615'], lockPath);
        return [];
      }
      const body: Record<string, unknown> = { amount: fmt(amount, from), currencyFrom: from, currencyTo: to, lockId: lock.body.lockId };
      if (forUser) body[rng.chance(0.5) ? 'externalUserId' : 'sourceExternalUserId'] = forUser;
      let expected: 'ok' | string[] = available < amount ? ['P433'] : 'ok';
      const problems = forUser ? userProblem(forUser, from).concat(userProblem(forUser, to)) : [];
      if (problems.length) expected = problems;
      if (rng.chance(0.05)) {
        body.amount = fmt(amount + 1n, from); // not the lock's amount
        expected = ['P627', ...problems];
      }
      const path = forUser ? '/v1/exchange' : '/v1/partner/exchange';
      const res = await send('POST', path, body, rng.chance(0.6));
      if (outcome('exchange', res, expected, JSON.stringify(body))) {
        m.move(owner, from, -toMinor(lock.body.amountFrom, from));
        m.move(owner, to, toMinor(lock.body.amountTo, to));
        m.usedLocks.push({ path, body });
      }
      return [owner];
    }

    async function reuseLock(): Promise<Owner[]> {
      if (!m.usedLocks.length) return [];
      const used = rng.pick(m.usedLocks);
      const res = await send('POST', used.path, used.body, rng.chance(0.5));
      outcome('exchange_reused_lock', res, ['P622', 'P610', 'P455', 'P459'], JSON.stringify(used.body));
      return [];
    }

    async function sepaTransfer(): Promise<Owner[]> {
      const fromUser = rng.chance(0.6) ? (rng.chance(0.9) ? liveUser() : anyUser()) : undefined;
      const owner: Owner = fromUser ?? '';
      const available = m.available(owner, 'eur');
      let amount = debitAmount(available > 100n ? available - 100n : 0n, 'eur');
      if (amount < 100n) amount = 100n;
      const fee = sepaFee(amount);
      const failing = rng.chance(0.2);
      const badIban = rng.chance(0.03);
      const body: Record<string, unknown> = {
        amount: fmt(amount, 'eur'), currency: 'eur', destinationIban: badIban ? 'DE00123' : failing ? FAILING_IBAN : DEST_IBAN, transferTitle: 'Sim',
      };
      if (fromUser) body.sourceExternalUserId = fromUser;
      let expected: 'ok' | string[] = available < amount + fee ? ['P433'] : 'ok';
      const problems = fromUser ? userProblem(fromUser, 'eur') : [];
      if (problems.length) expected = problems;
      if (badIban) expected = ['P630']; // checked before anything else
      const res = await send('POST', fromUser ? '/v1/sepa-transfer' : '/v1/partner/sepa-transfer', body, rng.chance(0.6));
      if (outcome('sepa_transfer', res, expected, JSON.stringify(body))) {
        m.hold(owner, 'eur', amount + fee);
        m.inFlight.push({ kind: 'sepa_transfer', id: res.body.transferId, owner, currency: 'eur', amount: amount + fee, fee,
          expect: failing ? 'failure' : 'success', advances: 0 });
      }
      return [owner];
    }

    async function withdrawal(): Promise<Owner[]> {
      const fromUser = rng.chance(0.6) ? (rng.chance(0.9) ? liveUser() : anyUser()) : undefined;
      const owner: Owner = fromUser ?? '';
      const c = debitCurrency(owner, CRYPTO);
      const network = rng.pick(NETWORKS[c]);
      const net = networkOf(c, network);
      const fees = toMinor(net.feeWithdrawal, c) + toMinor(net.networkFee, c);
      const min = toMinor(net.minWithdrawal, c);
      const available = m.available(owner, c);
      let amount = debitAmount(available > fees ? available - fees : 0n, c);
      const belowMin = rng.chance(0.03);
      if (belowMin) amount = min > 1n ? min - 1n : 0n;
      else if (amount < min) amount = min;
      const failing = rng.chance(0.2);
      const body: Record<string, unknown> = {
        currency: c, network, amount: fmt(amount, c), walletAddress: failing ? failingAddress(network) : outsideAddress(network),
        name: 'Ada Lovelace', walletType: 'NON_CUSTODIAL', receiverType: 'NATURAL',
      };
      if (belowMin && amount === 0n) return [];
      if (fromUser) body.sourceExternalUserId = fromUser;
      const problems = fromUser ? userProblem(fromUser, c) : [];
      let expected: 'ok' | string[] = available < amount + fees ? ['P433'] : 'ok';
      if (problems.length) expected = problems;
      if (belowMin) expected = ['P615', ...(expected === 'ok' ? [] : expected)];
      const res = await send('POST', fromUser ? '/v1/crypto-withdrawal' : '/v1/partner/crypto-withdrawal', body, rng.chance(0.6));
      if (outcome('crypto_withdrawal', res, expected, JSON.stringify(body))) {
        m.hold(owner, c, amount + fees);
        m.inFlight.push({ kind: 'withdrawal', id: res.body.withdrawalId, owner, currency: c, amount: amount + fees,
          expect: failing ? 'failure' : 'success', advances: 0 });
      }
      return [owner];
    }

    async function createOrder(): Promise<Owner[]> {
      const c = rng.pick(['btc', 'eth', 'ltc', 'usdc', 'usdt', 'pol'] as Cur[]);
      const network = rng.pick(NETWORKS[c].filter((n) => c !== 'usdc' && c !== 'usdt' ? true : n === 'polygon'));
      const eur = rng.big(100n, 50_000n);
      const lock = await send('POST', '/v1/order/lock-rate', { currency: c, network, amount: fmt(eur, 'eur') }, rng.chance(0.5));
      if (!outcome('order_lock', lock, 'any', `${c} ${fmt(eur, 'eur')}`)) return [];
      const res = await send('POST', '/v1/order', { lockId: lock.body.lockId }, rng.chance(0.6));
      if (outcome('order', res, 'ok', lock.body.lockId)) {
        m.orders.push({ id: res.body.orderId, currency: c, network, rate: lock.body.rate,
          required: toMinor(new Decimal(lock.body.amount).toFixed(scaleOf(c)), c), status: 'WAITING_FOR_WALLET_ADDRESS', settled: false, advances: 0 });
      }
      return [];
    }

    async function payOrder(): Promise<Owner[]> {
      const open = m.orders.filter((o) => o.address !== undefined && (!o.settled || rng.chance(0.1)));
      if (!open.length) return [];
      const o = rng.pick(open);
      const details = await send('GET', `/v1/order/details/${o.id}`);
      if (details.status !== 200) return [];
      const status = details.body.status;
      const factor = rng.pick([1, 1, 1, 0.5, 1.2]);
      let amount = factor === 1 ? o.required : BigInt(new Decimal(o.required.toString()).mul(factor).toFixed(0));
      if (amount <= 0n) amount = o.required;
      const body = { address: o.address, currency: o.currency, network: o.network, amount: fmt(amount, o.currency) };
      const res = await send('POST', '/v1/sandbox/crypto-deposit', body, rng.chance(0.6));
      if (outcome('order_payment', res, 'ok', JSON.stringify(body))) {
        const own = status === 'WAITING_FOR_PAYMENT' && !o.payment;
        if (own) o.payment = { depositId: res.body.cryptoDepositId, amount };
        m.inFlight.push({ kind: 'crypto_deposit', id: res.body.cryptoDepositId, owner: '', currency: o.currency, amount,
          expect: 'success', advances: 0, order: own ? o.id : `extra:${o.id}` });
      }
      return [''];
    }

    async function suspendOrUnsuspend(): Promise<Owner[]> {
      const id = anyUser();
      if (!id) return [];
      const u = m.users.get(id)!;
      const suspend = u.status !== 'SUSPENDED' ? rng.chance(0.8) : rng.chance(0.2);
      const res = await send('PATCH', `/v1/user/${suspend ? 'suspend' : 'unsuspend'}/${id}`);
      if (outcome(suspend ? 'suspend' : 'unsuspend', res, u.status === 'DELETED' ? ['P610'] : 'ok', id)) {
        if (suspend && u.status !== 'SUSPENDED') {
          u.before = u.status;
          u.status = 'SUSPENDED';
        } else if (!suspend && u.status === 'SUSPENDED') {
          u.status = u.before ?? 'ACTIVE';
          u.before = undefined;
        }
        expect(res.body.status, where(`user ${id} status`)).toBe(u.status === 'WAITING' ? 'WAITING_FOR_VERIFICATION' : u.status);
      }
      return [id];
    }

    async function deleteUser(): Promise<Owner[]> {
      const id = rng.chance(0.9) ? liveUser() : anyUser();
      if (!id) return [];
      const u = m.users.get(id)!;
      const held = CURRENCY_LIST.some((c) => m.pending_(id, c) > 0n);
      const expected = u.status === 'DELETED' ? ['P610'] : held ? ['P616'] : 'ok';
      const res = await send('DELETE', `/v1/user/${id}`);
      if (outcome('delete_user', res, expected, id)) {
        for (const c of CURRENCY_LIST) {
          const posted = m.posted_(id, c);
          m.move(id, c, -posted);
          m.move('', c, posted);
        }
        u.status = 'DELETED';
        u.iban = undefined;
      }
      return [id, ''];
    }

    async function advanceClock(): Promise<Owner[]> {
      const seconds = rng.pick([3600, 3600, 7200, 86_400]);
      const res = await send('POST', '/v1/sandbox/clock/advance', { seconds }, rng.chance(0.3));
      outcome('clock_advance', res, 'ok', String(seconds));
      // Even after a 503 (jobs that kept failing): the clock moved and each job that ran committed
      // on its own, so what finished is read back either way.
      return ['', ...(await settleInFlight())];
    }

    /** After a clock advance: what the rails finished, applied to the model once. Returns the owners it touched. */
    async function settleInFlight(): Promise<Owner[]> {
      const touched: Owner[] = [];
      const ids = (kind: Pending['kind']) => m.inFlight.filter((p) => p.kind === kind).map((p) => p.id);
      const cryptoStatus = new Map((await db.query<{ id: string; status: string }>(
        'SELECT id, status FROM crypto_deposits WHERE id = ANY($1::uuid[])', [ids('crypto_deposit')])).map((r) => [r.id, r.status]));
      const sepaStatus = new Map((await db.query<{ id: string; status: string }>(
        'SELECT id, status FROM sepa_deposits WHERE id = ANY($1::uuid[])', [ids('sepa_deposit')])).map((r) => [r.id, r.status]));
      // Orders first: a payment's credit depends on whether the order settled with it.
      for (const o of m.orders) {
        if (o.settled && o.address) continue;
        const d = await look(`/v1/order/details/${o.id}`);
        o.status = d.status;
        o.advances++;
        if (d.walletAddress) o.address = d.walletAddress;
        if ((d.status === 'COMPLETED' || d.status === 'UNDERPAID') && !o.settled) {
          expect(o.payment, where(`order ${o.id} settled without a payment of ours`)).toBeDefined();
          const received = o.payment!.amount;
          expect(toMinor(d.receivedAmount, o.currency), where(`order ${o.id} received`)).toBe(received);
          expect(d.status, where(`order ${o.id} status for ${received} of ${o.required}`)).toBe(received >= o.required ? 'COMPLETED' : 'UNDERPAID');
          const credited = BigInt(new Decimal(received.toString()).div(unit(o.currency).toString()).mul(o.rate).mul(100)
            .toFixed(0, Decimal.ROUND_DOWN));
          expect(toMinor(d.settledAmount, 'eur'), where(`order ${o.id} settled amount`)).toBe(credited);
          m.move('', 'eur', credited);
          o.settled = true;
        } else if (d.status === 'EXPIRED') {
          expect(o.payment, where(`order ${o.id} expired although paid`)).toBeUndefined();
          o.settled = true;
        }
        if (!o.settled) {
          expect(o.advances, where(`order ${o.id} stuck in ${d.status}`)).toBeLessThan(6);
        }
      }
      const still: Pending[] = [];
      for (const p of m.inFlight) {
        p.advances++;
        let final: 'success' | 'failure' | undefined;
        if (p.kind === 'sepa_transfer') {
          const d = await look(`/v1/partner/sepa-transfer/details/${p.id}`);
          if (d.status !== 'PENDING') {
            final = d.status === 'SUCCESSFUL' ? 'success' : 'failure';
            expect(toMinor(d.fee, 'eur'), where(`sepa transfer ${p.id} fee`)).toBe(p.fee);
          }
        } else if (p.kind === 'withdrawal') {
          const d = await look(`/v1/partner/crypto-withdrawal/details/${p.id}`);
          if (d.status !== 'PROCESSING') final = d.status === 'SUCCESSFUL' ? 'success' : 'failure';
        } else if (p.kind === 'crypto_deposit') {
          const s = cryptoStatus.get(p.id);
          if (s === 'SUCCESSFUL') final = 'success';
          else if (s === 'UNSUCCESSFUL') final = 'failure';
          else expect(s, where(`crypto deposit ${p.id}`)).toBe('WAITING_FOR_VERIFICATION');
        } else {
          const s = sepaStatus.get(p.id);
          if (s === 'APPROVED') final = 'success';
          else if (s === 'REJECTED') final = 'failure';
          else expect(s, where(`sepa deposit ${p.id}`)).toBe('PENDING');
        }
        if (!final) {
          expect(p.advances, where(`${p.kind} ${p.id} still pending after ${p.advances} clock advances`)).toBeLessThan(6);
          still.push(p);
          continue;
        }
        const user = p.owner ? m.users.get(p.owner) : undefined;
        touched.push(p.owner);
        if (p.expect !== 'depends') expect(final, where(`${p.kind} ${p.id} outcome`)).toBe(p.expect);
        if (p.kind === 'sepa_transfer' || p.kind === 'withdrawal') {
          m.hold(p.owner, p.currency, -p.amount);
          if (final === 'success') m.move(p.owner, p.currency, -p.amount);
        } else if (final === 'success') {
          if (p.kind === 'crypto_deposit' && p.order && !p.order.startsWith('extra:')) {
            // The order's own payment: credited in EUR by the order's settlement (above).
            const o = m.orders.find((x) => x.id === p.order)!;
            expect(o.settled, where(`order ${o.id}: its payment is final but the order is ${o.status}`)).toBe(true);
          } else {
            expect(user?.status, where(`${p.kind} ${p.id} credited to a deleted user`)).not.toBe('DELETED');
            m.move(p.owner, p.currency, p.amount);
          }
        } else if (p.kind === 'crypto_deposit') {
          // Uncredited: only a deposit to a user deleted meanwhile.
          expect(user?.status, where(`crypto deposit ${p.id} UNSUCCESSFUL`)).toBe('DELETED');
        } else if (p.expect === 'depends') {
          expect(user?.status, where(`sepa deposit ${p.id} with a partial name match REJECTED`)).toBe('DELETED');
        }
      }
      m.inFlight = still;
      return touched;
    }

    async function replay(): Promise<Owner[]> {
      if (!m.kept.length) return [];
      const k = rng.pick(m.kept);
      // Another request under a used key: a different amount (or clock advance), so the body stays valid.
      const original = k.body as Record<string, unknown>;
      const changed = typeof original?.amount === 'string' ? { ...original, amount: original.amount === '1.00' ? '2.00' : '1.00' }
        : typeof original?.seconds === 'number' ? { ...original, seconds: original.seconds + 1 } : undefined;
      const changeBody = changed !== undefined && rng.chance(0.15);
      const body = changeBody ? changed : k.body;
      faults.on = true;
      let res: ApiResponse;
      try {
        res = await raw(k.method, k.path, body, { 'idempotency-key': k.key });
        for (let tries = 0; res.status === 503 && tries < 60; tries++) {
          stats.retries503++;
          res = await raw(k.method, k.path, body, { 'idempotency-key': k.key });
        }
      } finally {
        faults.on = false;
      }
      if (changeBody) {
        stats.conflicts++;
        expect([res.status, res.body?.errorCode], where(`key ${k.key} reused for another body`)).toEqual([409, 'P601']);
      } else {
        stats.replays++;
        expect(res.headers.get('idempotent-replayed'), where(`replay of ${k.key} ${k.method} ${k.path}`)).toBe('true');
        expect([res.status, res.body], where(`replay of ${k.key}`)).toEqual([k.status, k.response]);
      }
      return [];
    }

    const OPERATIONS: [number, string, () => Promise<Owner[]>][] = [
      [4, 'create_user', createUser],
      [3, 'kyc_decision', kycDecision],
      [24, 'transfer', transfer],
      [7, 'sepa_deposit', sepaDeposit],
      [7, 'crypto_deposit', cryptoDeposit],
      [12, 'exchange', exchange],
      [1, 'reuse_lock', reuseLock],
      [6, 'sepa_transfer', sepaTransfer],
      [6, 'crypto_withdrawal', withdrawal],
      [2, 'order', createOrder],
      [3, 'pay_order', payOrder],
      [3, 'suspend', suspendOrUnsuspend],
      [1, 'delete_user', deleteUser],
      [5, 'clock_advance', advanceClock],
      [6, 'replay', replay],
    ];
    const totalWeight = OPERATIONS.reduce((s, [w]) => s + w, 0);
    const chooseOperation = () => {
      let r = rng.float() * totalWeight;
      for (const op of OPERATIONS) if ((r -= op[0]) < 0) return op;
      return OPERATIONS[0];
    };

    // -------------------------------------------------------------------------------------------
    // Checks

    const historyMax = new Map<Owner, string>();
    const historySum = new Map<Owner, Map<Cur, bigint>>();
    const holdStatus = new Map<string, string>();

    /** New history items of an owner (newest first, stop at the newest already seen), summed. */
    async function readHistory(owner: Owner, full: boolean) {
      const base = owner ? `/v1/user/transaction-history/${owner}` : '/v1/partner/transaction-history';
      const lastSeen = full ? undefined : historyMax.get(owner);
      const sums = full ? new Map<Cur, bigint>() : (historySum.get(owner) ?? new Map<Cur, bigint>());
      let newest: string | undefined;
      let cursor: string | undefined;
      const ids = new Set<string>();
      for (;;) {
        stats.historyPages++;
        const page = await look(`${base}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        let reachedSeen = false;
        for (const item of page.transactions) {
          if (lastSeen !== undefined && item.id <= lastSeen) {
            reachedSeen = true;
            break;
          }
          expect(ids.has(item.id), where(`history of ${owner || 'partner'} lists line ${item.id} twice`)).toBe(false);
          ids.add(item.id);
          newest ??= item.id;
          expect(item.status, where('history item status')).toBe('COMPLETED');
          const c = item.currency as Cur;
          const amount = toMinor(item.amount, c);
          expect(item.direction, where(`history item ${item.id} direction`)).toBe(amount > 0n ? 'CREDIT' : 'DEBIT');
          sums.set(c, (sums.get(c) ?? 0n) + amount);
        }
        if (reachedSeen || !page.nextCursor) break;
        cursor = page.nextCursor;
      }
      if (newest !== undefined) historyMax.set(owner, newest);
      historySum.set(owner, sums);
      return sums;
    }

    /** The API's view of an owner: balances (available) and history (sum = posted) agree with the model. */
    async function checkOwnerViaApi(owner: Owner, full: boolean) {
      const u = owner ? m.users.get(owner) : undefined;
      if (u?.status === 'DELETED') {
        const res = await raw('GET', `/v1/user/balances/${owner}`);
        expect([res.status, res.body?.errorCode], where(`balances of deleted ${owner}`)).toEqual([400, 'P610']);
        return;
      }
      const view = await look(owner ? `/v1/user/balances/${owner}` : '/v1/partner/balances');
      const sums = await readHistory(owner, full);
      for (const b of [...view.fiatBalances, ...view.cryptoBalances]) {
        const c = b.name as Cur;
        expect(toMinor(b.amount, c), where(`${owner || 'partner'} ${c} available (API) vs model`)).toBe(m.available(owner, c));
        expect(sums.get(c) ?? 0n, where(`${owner || 'partner'} ${c}: sum of history vs posted (model)`)).toBe(m.posted_(owner, c));
      }
    }

    /**
     * Every step: balances vs the model, nothing negative, sums per currency zero, pending debits
     * equal to the pending holds, each hold resolved once (PENDING -> POSTED with its one posting, or
     * VOIDED with none, never changing again), no posting twice for one business object. With
     * `ledger` (every LEDGER_CHECK_EVERY steps, and at full checks): also the ledger's own
     * `checkInvariant` (posted = sum of the lines, a full scan) and every business object posted
     * exactly when it succeeded.
     */
    async function checkDatabase(ledger: boolean) {
      if (ledger) {
        const report = await checkInvariant(db);
        expect(report, where('ledger invariant')).toEqual({ balanced: true, unbalancedCurrencies: [], driftedAccounts: [], pendingMismatches: [] });
      }
      const rows = await db.query<{
        owner_type: string; external_user_id: string | null; currency: Cur; posted: bigint; pending_debits: bigint; status: string;
      }>(
        `SELECT a.owner_type, u.external_user_id, a.currency, a.posted, a.pending_debits, a.status
         FROM accounts a LEFT JOIN users u ON u.id = a.user_id WHERE a.owner_type <> 'house'`,
      );
      for (const r of rows) {
        const owner = r.owner_type === 'partner' ? '' : r.external_user_id!;
        const label = `${owner || 'partner'} ${r.currency}`;
        expect(r.posted >= 0n && r.posted - r.pending_debits >= 0n, where(`${label} negative: posted ${r.posted} pending ${r.pending_debits}`)).toBe(true);
        expect([r.posted, r.pending_debits], where(`${label} (posted, pending) vs model`)).toEqual([m.posted_(owner, r.currency), m.pending_(owner, r.currency)]);
      }
      const [bad] = await db.query<Record<string, number>>(
        `SELECT
           (SELECT count(*)::int FROM (SELECT currency FROM accounts GROUP BY 1 HAVING sum(posted) <> 0) x) AS unbalanced_currencies,
           (SELECT count(*)::int FROM accounts a
              LEFT JOIN (SELECT account_id, sum(amount) AS s FROM holds WHERE status = 'PENDING' GROUP BY 1) h ON h.account_id = a.id
              WHERE a.pending_debits <> coalesce(h.s, 0)) AS pending_mismatches,
           (SELECT count(*)::int FROM holds WHERE (status = 'PENDING' AND (posting_id IS NOT NULL OR resolved_at IS NOT NULL))
                                              OR (status = 'VOIDED' AND posting_id IS NOT NULL)
                                              OR (status = 'POSTED' AND (posting_id IS NULL OR resolved_at IS NULL))) AS bad_holds,
           (SELECT count(*)::int FROM (SELECT posting_id FROM holds WHERE posting_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1) x) AS shared_hold_postings,
           (SELECT count(*)::int FROM holds h JOIN postings p ON p.id = h.posting_id WHERE p.kind <> h.kind OR p.ref_id IS DISTINCT FROM h.ref_id) AS foreign_hold_postings,
           (SELECT count(*)::int FROM (SELECT ref_id, kind FROM postings WHERE kind <> 'order' GROUP BY 1, 2 HAVING count(*) > 1) x) AS duplicate_postings,
           (SELECT count(*)::int FROM (SELECT p.ref_id FROM postings p WHERE p.kind = 'order' GROUP BY 1
              HAVING count(*) > (SELECT count(*) FROM crypto_deposits d WHERE d.order_id = p.ref_id AND d.status = 'SUCCESSFUL')) x) AS order_postings,
           (SELECT count(*)::int FROM accounts a WHERE a.status = 'CLOSED' AND a.posted <> 0) AS closed_with_money`,
      );
      for (const [name, n] of Object.entries(bad)) expect(n, where(`${name}: ${n}`)).toBe(0);
      // A hold resolves once: PENDING -> POSTED | VOIDED, never anything after that.
      const holds = await db.query<{ id: string; status: string }>('SELECT id, status FROM holds');
      for (const h of holds) {
        const before = holdStatus.get(h.id);
        if (before !== undefined && before !== 'PENDING') expect(h.status, where(`hold ${h.id} changed after it resolved`)).toBe(before);
        holdStatus.set(h.id, h.status);
      }
      expect(holds.length, where('holds disappeared')).toBeGreaterThanOrEqual(holdStatus.size);
      if (!ledger) return;
      // Each business object applied once: posted exactly when it succeeded.
      const [unposted] = await db.query<Record<string, number>>(
        `SELECT
           (SELECT count(*)::int FROM transfers t WHERE NOT EXISTS (SELECT 1 FROM postings p WHERE p.kind = 'transfer' AND p.ref_id = t.id)) AS transfers_unposted,
           (SELECT count(*)::int FROM exchanges e WHERE (e.status = 'COMPLETED') <> EXISTS (SELECT 1 FROM postings p WHERE p.kind = 'exchange' AND p.ref_id = e.id)) AS exchanges_mismatch,
           (SELECT count(*)::int FROM sepa_transfers s WHERE (s.status = 'SUCCESSFUL') <> EXISTS (SELECT 1 FROM postings p WHERE p.kind = 'sepa_transfer' AND p.ref_id = s.id)) AS sepa_transfers_mismatch,
           (SELECT count(*)::int FROM sepa_deposits s WHERE (s.status = 'APPROVED') <> EXISTS (SELECT 1 FROM postings p WHERE p.kind = 'sepa_deposit' AND p.ref_id = s.id)) AS sepa_deposits_mismatch,
           (SELECT count(*)::int FROM crypto_withdrawals w WHERE (w.status = 'SUCCESSFUL') <> EXISTS (SELECT 1 FROM postings p WHERE p.kind = 'crypto_withdrawal' AND p.ref_id = w.id)) AS withdrawals_mismatch,
           (SELECT count(*)::int FROM crypto_deposits d WHERE d.order_id IS NULL
              AND (d.status = 'SUCCESSFUL') <> EXISTS (SELECT 1 FROM postings p WHERE p.kind = 'crypto_deposit' AND p.ref_id = d.id)) AS deposits_mismatch`,
      );
      for (const [name, n] of Object.entries(unposted)) expect(n, where(`${name}: ${n}`)).toBe(0);
    }

    const touchedSinceApiCheck = new Set<Owner>();
    async function checkStep(touched: Owner[], full: boolean) {
      const began = Date.now();
      stats.checks++;
      await checkDatabase(full || step % LEDGER_CHECK_EVERY === 0);
      stats.dbCheckMs += Date.now() - began;
      for (const owner of touched) if (owner === '' || m.users.has(owner)) touchedSinceApiCheck.add(owner);
      if (full || step % API_CHECK_EVERY === 0) {
        const owners = full ? ['', ...m.users.keys()] : [...touchedSinceApiCheck];
        if (full) stats.fullChecks++;
        for (const owner of owners) await checkOwnerViaApi(owner, full);
        touchedSinceApiCheck.clear();
      }
      stats.checkMs += Date.now() - began;
    }

    // -------------------------------------------------------------------------------------------
    // Setup (no faults): the partner funded in every currency, a few users.

    const partnerView = await look('/v1/partner/balances');
    partnerIban = partnerView.fiatBalances[0].iban;
    for (const b of partnerView.cryptoBalances) partnerWallets[b.name as Cur] = b.wallet;
    expect((await raw('POST', '/v1/sandbox/sepa-deposit', { iban: partnerView.fiatBalances[0].iban, amount: '100000.00' })).status).toBe(201);
    m.move('', 'eur', 10_000_000n);
    for (const b of partnerView.cryptoBalances) {
      const c = b.name as Cur;
      const amount = DEPOSIT_UNITS[c] * 10n * unit(c);
      const res = await raw('POST', '/v1/sandbox/crypto-deposit', { address: b.wallet, currency: c, network: NETWORKS[c][NETWORKS[c].length - 1], amount: fmt(amount, c) });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      m.move('', c, amount);
    }
    expect((await raw('POST', '/v1/sandbox/clock/advance', { seconds: 3600 })).status).toBe(200);
    for (let i = 0; i < 4; i++) await createUser();
    await checkStep([], true);

    // -------------------------------------------------------------------------------------------
    // The run

    for (step = 1; step <= OPS; step++) {
      faults.beginStep(step);
      // Something settles at least every 40 steps, so nothing waits on real time.
      const op = step % 40 === 0 ? OPERATIONS.find((o) => o[1] === 'clock_advance')! : chooseOperation();
      const touched = await op[2]();
      stats.operations++;
      await checkStep(touched, step % FULL_CHECK_EVERY === 0);
    }
    // Let everything in flight finish, then the full check.
    step = OPS + 1;
    faults.beginStep(step);
    for (let i = 0; i < 8 && (m.inFlight.length || m.orders.some((o) => !o.settled)); i++) await advanceClock();
    await checkStep([], true);
    expect(m.inFlight, where('operations still in flight at the end')).toEqual([]);

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const totalFaults = faults.injected['40001'] + faults.injected['40P01'];
    const kinds = [...stats.byKind].map(([k, v]) => `${k} ${v.ok}/${v.ok + v.refused}`
      + (v.codes.size ? ` (${[...v.codes].map(([c, n]) => `${c}: ${n}`).join(' ')})` : '')).join(', ');
    console.log(`simulation details: ${stats.requests} requests (${stats.keyed} with an Idempotency-Key), ${stats.retries503} retries after 503 `
      + `(${stats.retriedAfter503} requests), ${stats.unkeyed503} unkeyed 503s (nothing applied), ${stats.replays} replays, `
      + `${stats.conflicts} key conflicts (P601), ${stats.checks} checks (${stats.fullChecks} full, ${(stats.checkMs / 1000).toFixed(1)} s, database ${(stats.dbCheckMs / 1000).toFixed(1)} s), `
      + `${stats.historyPages} history pages; `
      + `succeeded/attempted: ${kinds}`);
    console.log(`simulation: seed ${SEED}, ${stats.operations} operations, ${totalFaults} faults injected `
      + `(40001: ${faults.injected['40001']}, 40P01: ${faults.injected['40P01']}), ${stats.retriedAfter503} requests retried after 503, `
      + `0 violations (${PG ? 'PostgreSQL' : 'PGlite'}, ${seconds} s)`);
  }, 900_000);
});

describe('jobs under deadlocks (found by the simulation)', () => {
  it('a deadlock in a job handler runs the transaction again instead of using up one of the 10 attempts', async () => {
    // Before: each deadlock counted as a failed attempt (retried after a backoff); ten of them in a
    // row marked the settlement FAILED for good and left its hold pending.
    let failures = 12;
    const faults: FaultInjector = {
      beforeStatement(sql) {
        if (failures > 0 && sql.startsWith('SELECT * FROM sepa_transfers WHERE id = $1 FOR NO KEY UPDATE')) {
          failures--;
          throw Object.assign(new Error('deadlock detected (injected)'), { code: '40P01' });
        }
      },
    };
    const t = await startTestApp({}, { faults });
    try {
      const partner = await t.createPartner();
      const iban = (await partner.call('GET', '/v1/partner/balances')).body.fiatBalances[0].iban;
      expect((await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: '100.00' })).status).toBe(201);
      const sent = await partner.call('POST', '/v1/partner/sepa-transfer', { amount: '10.00', currency: 'eur', destinationIban: DEST_IBAN, transferTitle: 'x' });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
      // 8 attempts of the transaction per run: the first advance gives up (503), the next succeeds.
      const first = await partner.call('POST', '/v1/sandbox/clock/advance', { seconds: 600 });
      expect([first.status, first.body.errorCode]).toEqual([503, 'P501']);
      const second = await partner.call('POST', '/v1/sandbox/clock/advance', { seconds: 0 });
      expect(second.status, JSON.stringify(second.body)).toBe(200);
      expect(failures).toBe(0);
      const details = await partner.call('GET', `/v1/partner/sepa-transfer/details/${sent.body.transferId}`);
      expect(details.body.status).toBe('SUCCESSFUL');
      const [job] = await t.db.query<{ status: string; attempts: number }>(
        `SELECT status, attempts FROM jobs WHERE partner_id = $1 AND kind = 'sepa.transfer.settle'`, [partner.id]);
      expect(job).toEqual({ status: 'DONE', attempts: 1 });
      expect((await partner.call('GET', '/v1/partner/balances')).body.fiatBalances[0].amount).toBe('89.00');
      expect((await checkInvariant(t.db)).balanced).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('a job whose DONE update fails runs again whole (it used to answer P500 "savepoint job does not exist")', async () => {
    let armed = false;
    let injected = 0;
    const faults: FaultInjector = {
      afterStatement(sql) {
        if (armed && /^UPDATE jobs SET status = 'DONE'/.test(sql.trim())) {
          armed = false;
          injected++;
          throw Object.assign(new Error('deadlock detected (injected)'), { code: '40P01' });
        }
      },
    };
    const t = await startTestApp({}, { faults });
    try {
      const partner = await t.createPartner();
      const iban = (await partner.call('GET', '/v1/partner/balances')).body.fiatBalances[0].iban;
      expect((await partner.call('POST', '/v1/sandbox/sepa-deposit', { iban, amount: '100.00' })).status).toBe(201);
      const sent = await partner.call('POST', '/v1/partner/sepa-transfer', { amount: '10.00', currency: 'eur', destinationIban: DEST_IBAN, transferTitle: 'x' });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
      armed = true;
      const advanced = await partner.call('POST', '/v1/sandbox/clock/advance', { seconds: 600 });
      expect([advanced.status, advanced.body], JSON.stringify(advanced.body)).toEqual([200, expect.objectContaining({ jobsRun: 1 })]);
      expect(injected).toBe(1);
      const details = await partner.call('GET', `/v1/partner/sepa-transfer/details/${sent.body.transferId}`);
      expect(details.body.status).toBe('SUCCESSFUL');
      const [row] = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM postings WHERE kind = 'sepa_transfer' AND ref_id = $1`, [sent.body.transferId]);
      expect(row.n).toBe(1);
      expect((await partner.call('GET', '/v1/partner/balances')).body.fiatBalances[0].amount).toBe('89.00');
      expect((await checkInvariant(t.db)).balanced).toBe(true);
    } finally {
      await t.close();
    }
  });
});
