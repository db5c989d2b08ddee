import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ApiError, validationError } from '../../kernel/errors.js';

/**
 * Webhook URLs must not let a partner make Centum call into its own network (SSRF). Loopback,
 * private, link-local, CGNAT, multicast and reserved ranges are refused unless
 * WEBHOOK_ALLOW_PRIVATE (on by default in the sandbox, so tests can use a loopback receiver).
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32],
] as const) blocked.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1], 'ipv4');
  return blocked.check(address, 'ipv6');
}

/** Parses a webhook base URL: absolute http(s), no credentials, query or fragment (paths are appended). */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw validationError('url must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw validationError('url must be an absolute http or https URL');
  if (url.username || url.password) throw validationError('url must not contain credentials');
  if (url.search || url.hash || raw.includes('?') || raw.includes('#')) throw validationError('url must not contain a query or fragment');
  return url;
}

/** Throws P650 when the URL's host is, or resolves to, a private address (and that is not allowed). */
export async function assertPublicDestination(url: URL, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      throw new ApiError('P650', `Webhook host ${host} does not resolve`);
    }
  }
  if (!addresses.length || addresses.some(isPrivateAddress)) {
    throw new ApiError('P650', `Webhook URL points at a private network (${host})`);
  }
}

/** base URL + the event's path, without a double slash. */
export const joinUrl = (base: string, path: string): string => base.replace(/\/+$/, '') + path;
