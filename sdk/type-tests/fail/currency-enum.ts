import { createCentum } from '../../src/index.js';

// A currency the contract does not list is a compile error (the contract's currency enum).
const centum = createCentum({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'ck_test' });
// error: TS2769 Type '"EURO"' is not assignable to type
await centum.POST('/v1/transfer', { body: { destinationExternalUserId: 'u-1', currency: 'EURO', amount: '10.00' } });
