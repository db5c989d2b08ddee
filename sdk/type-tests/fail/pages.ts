import { createCentum } from '../../src/index.js';

const centum = createCentum({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'ck_test' });
// Balances have no cursor: not a paginated path.
// error: TS2345 Argument of type '"/v1/partner/balances"' is not assignable to parameter
centum.pages('/v1/partner/balances');
for await (const page of centum.pages('/v1/partner/transaction-history')) {
  // error: TS2339 Property 'deliveries' does not exist
  console.log(page.deliveries);
}
