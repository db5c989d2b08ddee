import { findCurrency, findNetwork, type Currency, type NetworkConfig } from '../../kernel/currencies.js';
import { ApiError } from '../../kernel/errors.js';

/** A crypto currency from a request (any case); P410 when unknown or not crypto. */
export function cryptoCurrency(value: string): Currency {
  const currency = findCurrency(value);
  if (!currency || currency.kind !== 'CRYPTO') throw new ApiError('P410', `Currency not found: ${value}`);
  return currency;
}

/** The network of a crypto currency (`network` in any case, default when omitted); P632 when not offered. */
export function cryptoNetwork(currency: Currency, network?: string): NetworkConfig {
  const found = findNetwork(currency, network);
  if (!found) throw new ApiError('P632', `Network ${network} is not supported for ${currency.code}`);
  return found;
}
