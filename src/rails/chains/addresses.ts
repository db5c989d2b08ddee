import { HDKey } from '@scure/bip32';
import { Address, p2pkh, p2wpkh } from '@scure/btc-signer';
import { isAddress } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { toHex } from 'viem';
import type { ChainFamily, NetworkCode } from '../../kernel/currencies.js';
import { deriveKey } from '../../kernel/secrets.js';

/**
 * Testnet deposit addresses derived from one seed per install (itself derived from the master
 * secret), and destination-address validation with the same libraries (checksums included).
 */
const BTC_TESTNET = { bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const LTC_TESTNET = { bech32: 'tltc', pubKeyHash: 0x6f, scriptHash: 0x3a, wif: 0xef };
const DOGE_TESTNET = { bech32: 'tdge', pubKeyHash: 0x71, scriptHash: 0xc4, wif: 0xf1 };

/** BIP-44/84 account paths; the address index is appended as `/0/<index>`. */
const ACCOUNT_PATHS: Record<ChainFamily, string> = {
  btc: "m/84'/1'/0'",
  ltc: "m/84'/1'/1'",
  doge: "m/44'/1'/2'",
  evm: "m/44'/60'/0'",
};

export const FAMILY_OF_NETWORK: Record<NetworkCode, ChainFamily> = {
  btc: 'btc',
  ltc: 'ltc',
  doge: 'doge',
  ethereum: 'evm',
  polygon: 'evm',
};

const accountNodes = new Map<string, HDKey>();

function accountNode(secretKey: string, family: ChainFamily): HDKey {
  const cacheKey = `${secretKey}:${family}`;
  let node = accountNodes.get(cacheKey);
  if (!node) {
    node = HDKey.fromMasterSeed(deriveKey(secretKey, 'wallet-seed')).derive(ACCOUNT_PATHS[family]);
    accountNodes.set(cacheKey, node);
  }
  return node;
}

export interface DerivedAddress {
  address: string;
  path: string;
}

export function deriveAddress(secretKey: string, family: ChainFamily, index: number): DerivedAddress {
  const key = accountNode(secretKey, family).deriveChild(0).deriveChild(index);
  const path = `${ACCOUNT_PATHS[family]}/0/${index}`;
  switch (family) {
    case 'btc':
      return { address: p2wpkh(key.publicKey!, BTC_TESTNET).address!, path };
    case 'ltc':
      return { address: p2wpkh(key.publicKey!, LTC_TESTNET).address!, path };
    case 'doge':
      return { address: p2pkh(key.publicKey!, DOGE_TESTNET).address!, path };
    case 'evm':
      return { address: privateKeyToAddress(toHex(key.privateKey!)), path };
  }
}

const BITCOIN_LIKE = { btc: BTC_TESTNET, ltc: LTC_TESTNET, doge: DOGE_TESTNET } as const;

/** True when `address` is a valid testnet address of the network (checksum verified). */
export function isValidAddress(network: NetworkCode, address: string): boolean {
  const family = FAMILY_OF_NETWORK[network];
  if (family === 'evm') return isAddress(address, { strict: true });
  try {
    Address(BITCOIN_LIKE[family]).decode(address);
    return true;
  } catch {
    return false;
  }
}
