import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { partnerNow } from '../../kernel/clock.js';
import { ApiError } from '../../kernel/errors.js';
import { CRYPTO_CODES, NETWORK_CODES } from '../../kernel/currencies.js';
import { CurrencySlug, errorResponses, NetworkSlug, StringEnum, Timestamp, Uuid } from '../../kernel/schemas.js';
import { WalletStatus, valuesOf } from '../../kernel/statuses.js';
import { enqueueJob, type JobHandler } from '../../jobs/queue.js';
import { emitEvent } from '../../outbox/events.js';
import { deriveAddress, FAMILY_OF_NETWORK } from '../../rails/chains/addresses.js';
import { cryptoCurrency, cryptoNetwork } from '../crypto/index.js';
import { newId } from '../../kernel/ids.js';

/**
 * Create Wallet: generates the partner's deposit address for a currency's network when it has
 * none (partners created before a network was added). The address is derived at request time
 * (it needs the master secret) and stored by a job, which reports it with 'wallet.status'.
 */
export const CREATE_JOB = 'wallet.create';

const walletFields = {
  walletId: Uuid,
  currency: StringEnum(CRYPTO_CODES, { examples: ['ltc'] }),
  network: StringEnum(NETWORK_CODES, { examples: ['ltc'] }),
};

/** `wallet.status`: the address of a wallet the partner asked for, or why there is none. */
export const WalletWebhook = Type.Object({
  ...walletFields,
  wallet: Type.String({ description: 'The deposit address' }),
  status: StringEnum(valuesOf(WalletStatus), { description: 'ACTIVE: the address is ready; FAILED: the partner already had one' }),
  createdAt: Timestamp,
}, { title: 'WalletWebhook', description: "A wallet the partner asked for is ready (ACTIVE) or failed." });

/** Stores the derived address and reports it. */
export const createWallet: JobHandler = async (job, { q, now }) => {
  const { partnerId, family, address, path, currency, network, walletId } = job.payload;
  const inserted = await q.query(
    `INSERT INTO wallet_addresses (family, address, partner_id, user_id, derivation_path, created_at)
     VALUES ($1, $2, $3, NULL, $4, $5) ON CONFLICT DO NOTHING RETURNING address`,
    [family, address, partnerId, path, now],
  );
  await emitEvent(q, partnerId, 'wallet.status', {
    walletId, currency, network, wallet: address,
    status: inserted.length ? WalletStatus.ACTIVE : WalletStatus.FAILED,
    createdAt: now.toISOString(),
  });
};

export const walletRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config } = app.ctx;
  app.post('/v1/partner/wallet', {
    schema: {
      operationId: 'createPartnerWallet', tags: ['Partner balances'], summary: 'Create Wallet',
      description: "Generates the partner's deposit address for a currency (and network); P636 when it exists. "
        + "Answers PENDING; the 'wallet.status' webhook reports the address when it is ready.",
      body: Type.Object({ currency: { ...CurrencySlug, examples: ['ltc'] }, network: Type.Optional({ ...NetworkSlug, maxLength: 32 }) }, {
        additionalProperties: false, title: 'WalletRequest',
      }),
      response: {
        201: Type.Object({ ...walletFields, status: StringEnum(valuesOf(WalletStatus), { examples: ['PENDING'] }) }, {
          title: 'Wallet', description: 'The wallet asked for (PENDING until the `wallet.status` webhook gives its address)',
        }),
        ...errorResponses('P410', 'P632', 'P636'),
      },
    },
  }, async (request, reply) => {
    const currency = cryptoCurrency(request.body.currency);
    const network = cryptoNetwork(currency, request.body.network);
    const family = FAMILY_OF_NETWORK[network.code];
    const partnerId = request.partner.id;
    const walletId = newId();
    await db.tx(async (q) => {
      const [partner] = await q.query<{ address_index: number }>('SELECT address_index FROM partners WHERE id = $1 FOR NO KEY UPDATE', [partnerId]);
      const existing = await q.query(
        'SELECT 1 FROM wallet_addresses WHERE partner_id = $1 AND coalesce(user_id, partner_id) = $1 AND family = $2',
        [partnerId, family],
      );
      const queued = await q.query(
        `SELECT 1 FROM jobs WHERE kind = $1 AND partner_id = $2 AND status = 'QUEUED' AND payload->>'family' = $3`,
        [CREATE_JOB, partnerId, family],
      );
      if (existing.length || queued.length) throw new ApiError('P636');
      const { address, path } = deriveAddress(config.secretKey, family, partner.address_index);
      await enqueueJob(q, {
        kind: CREATE_JOB, partnerId, runAt: partnerNow(request.partner.clockOffsetMs),
        payload: { partnerId, family, address, path, currency: currency.code, network: network.code, walletId },
      });
    });
    return reply.code(201).send({ walletId, currency: currency.code, network: network.code, status: WalletStatus.PENDING });
  });
};
