import QRCode from 'qrcode';
import { CURRENCIES, type CurrencyCode, type NetworkCode } from '../../kernel/currencies.js';
import { formatAmount } from '../../kernel/money.js';

/**
 * The payment request a wallet understands, for the QR code and the "open in wallet" link:
 * BIP21 (`bitcoin:`, `litecoin:`, `dogecoin:` with `amount` in coins) for the UTXO chains, EIP-681
 * for EVM chains (`ethereum:<address>@<chainId>?value=<wei>` for the native coin, and an ERC-20
 * `transfer` call on the token contract for USDC). The networks are testnets (Sepolia, Amoy).
 */

const BIP21_SCHEME: Partial<Record<NetworkCode, string>> = { btc: 'bitcoin', ltc: 'litecoin', doge: 'dogecoin' };
/** EIP-155 chain ids of the simulated networks: Ethereum Sepolia, Polygon Amoy. */
export const CHAIN_IDS: Partial<Record<NetworkCode, number>> = { ethereum: 11155111, polygon: 80002 };
/** Circle's USDC contracts on those testnets. */
const ERC20_CONTRACTS: Partial<Record<CurrencyCode, Partial<Record<NetworkCode, string>>>> = {
  usdc: { ethereum: '0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238', polygon: '0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582' },
};
/** Decimals of the EVM native coins (wei); our scale is 8, so minor units are multiplied by 10^(18-8). */
const EVM_NATIVE_DECIMALS = 18;

/** The wallet URI asking for `amount` (minor units of `currency`) to `address`. */
export function walletUri(currency: CurrencyCode, network: NetworkCode, address: string, amount: bigint): string {
  const scale = CURRENCIES[currency].scale;
  const scheme = BIP21_SCHEME[network];
  if (scheme) return `${scheme}:${address}?amount=${trimZeros(formatAmount(amount, scale))}`;
  const chainId = CHAIN_IDS[network];
  if (chainId === undefined) throw new Error(`no wallet URI format for ${currency} on ${network}`);
  const contract = ERC20_CONTRACTS[currency]?.[network];
  if (contract) return `ethereum:${contract}@${chainId}/transfer?address=${address}&uint256=${amount}`;
  const wei = amount * 10n ** BigInt(EVM_NATIVE_DECIMALS - scale);
  return `ethereum:${address}@${chainId}?value=${wei}`;
}

const trimZeros = (decimal: string): string => (decimal.includes('.') ? decimal.replace(/0+$/, '').replace(/\.$/, '') : decimal);

/** The QR code of `text` as a PNG data URL (rendered on the server: the page needs no script for it). */
export function qrDataUrl(text: string): Promise<string> {
  return QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 4, scale: 6 });
}
