import { createCentum } from '../../src/index.js';

const centum = createCentum({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'ck_test' });
// A transfer needs an amount.
// error: TS2769 Property 'amount' is missing
await centum.POST('/v1/transfer', { body: { destinationExternalUserId: 'u-1', currency: 'eur' } });
// A path parameter is required.
// error: TS2769 Property 'params' is missing
await centum.GET('/v1/transfer/details/{transferId}', {});
