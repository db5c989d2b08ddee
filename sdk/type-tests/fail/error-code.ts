import { CentumError } from '../../src/index.js';

// errorCode is the union of the server's P-codes: a code that does not exist cannot be compared.
export function handle(error: CentumError): boolean {
  // error: TS2367 and '"P999"' have no overlap
  return error.errorCode === 'P999';
}
