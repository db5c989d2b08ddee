import { createCentum } from '../../src/index.js';

const centum = createCentum({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'ck_test' });
// error: TS2345 Argument of type '"/v1/partner/balance"' is not assignable to parameter
await centum.GET('/v1/partner/balance');
// A POST-only path is not a GET.
// error: TS2345 Argument of type '"/v1/transfer"' is not assignable to parameter
await centum.GET('/v1/transfer');
