import { createCentum } from '../../src/index.js';

// A delivery status the contract does not list.
const centum = createCentum({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'ck_test' });
// error: TS2769 Type '"DONE"' is not assignable to type
await centum.GET('/v1/partner/webhook-deliveries', { params: { query: { status: 'DONE' } } });
