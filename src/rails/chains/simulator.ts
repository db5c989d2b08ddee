import { createHash } from 'node:crypto';
import type { NetworkCode, NetworkConfig } from '../../kernel/currencies.js';
import { deriveAddress, FAMILY_OF_NETWORK } from './addresses.js';

/**
 * The simulated chains: deterministic transaction hashes, confirmations that follow the
 * (simulated) clock block by block, and one magic destination per network that the chain rejects.
 */

/** A transaction hash in the network's usual format (0x-prefixed for EVM chains). */
export function simulatedTxHash(network: NetworkCode, seed: string): string {
  const hex = createHash('sha256').update(`centum-tx:${network}:${seed}`).digest('hex');
  return FAMILY_OF_NETWORK[network] === 'evm' ? `0x${hex}` : hex;
}

const failing = new Map<NetworkCode, string>();

/**
 * The destination a withdrawal fails on: a valid address (checksums pass) derived from a fixed
 * public seed, index 0. EVM: 0x-address; btc/ltc/doge: testnet address of that chain.
 */
export function failingAddress(network: NetworkCode): string {
  let address = failing.get(network);
  if (!address) {
    address = deriveAddress('centum-sandbox-failing-destination', FAMILY_OF_NETWORK[network], 0).address;
    failing.set(network, address);
  }
  return address;
}

export const isFailingAddress = (network: NetworkCode, address: string): boolean =>
  failingAddress(network).toLowerCase() === address.toLowerCase();

/** Confirmations a transaction seen at `since` has at `now`: one per elapsed block, capped. */
export function confirmationsAt(network: NetworkConfig, since: Date, now: Date): number {
  const blocks = Math.floor((now.getTime() - since.getTime()) / (network.blockSeconds * 1000));
  return Math.max(0, Math.min(network.confirmations, blocks));
}

/** When the transaction seen at `since` gets its next confirmation. */
export function nextBlockAt(network: NetworkConfig, since: Date, confirmations: number): Date {
  return new Date(since.getTime() + (confirmations + 1) * network.blockSeconds * 1000);
}
