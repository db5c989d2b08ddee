import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ApiError, validationError } from '../../kernel/errors.js';

/**
 * Webhook URLs must not let a partner make Centum call into its own network (SSRF). IPv4: loopback,
 * private, link-local, CGNAT, multicast and reserved ranges are refused. IPv6: only global unicast
 * (2000::/3) passes, less its blocks that are no destination (Teredo and the rest of 2001::/23, 6to4,
 * documentation), and the two forms whose packets end at an IPv4 address (IPv4-mapped ::ffff:0:0/96,
 * NAT64 64:ff9b::/96) are judged by that address; so IPv4-compatible ::a.b.c.d, site-local, the
 * unspecified address and the like are refused. BlockList parses with Node's own parser, so every
 * notation of an address (::127.0.0.1, ::ffff:7f00:1) is the same address. All of this is skipped under
 * WEBHOOK_ALLOW_PRIVATE (on by default in the sandbox, so tests can use a loopback receiver).
 */
const refused = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  refused.addSubnet(net, prefix, 'ipv4');
  for (const embedding of ['::ffff:', '64:ff9b::']) refused.addSubnet(embedding + net, 96 + prefix, 'ipv6');
}
for (const [net, prefix] of [['2001::', 23], ['2001:db8::', 32], ['2002::', 16], ['3fff::', 20]] as const) {
  refused.addSubnet(net, prefix, 'ipv6');
}
const routableV6 = new BlockList();
for (const [net, prefix] of [['2000::', 3], ['::ffff:0:0', 96], ['64:ff9b::', 96]] as const) routableV6.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  switch (isIP(address)) {
    case 4: return refused.check(address, 'ipv4');
    case 6: return !routableV6.check(address, 'ipv6') || refused.check(address, 'ipv6');
    default: return true;
  }
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

/** A host name's addresses. The app's is injectable (BuildOptions.resolveHost) so tests can play a rebinding DNS server. */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

export const resolveWithDns: ResolveHost = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * Resolves the URL's host once and returns its addresses, each checked: P650 when one is private (and
 * that is not allowed) or when the host does not resolve. Connect to these and nothing else
 * (postPinned): resolving the name again could answer differently.
 */
export async function resolveDestination(url: URL, allowPrivate: boolean, resolveHost: ResolveHost): Promise<LookupAddress[]> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const family = isIP(host);
  const addresses = family ? [{ address: host, family }] : await resolveHost(host).catch((): LookupAddress[] => []);
  if (!addresses.length) throw new ApiError('P650', `Webhook host ${host} does not resolve`);
  if (!allowPrivate && addresses.some((a) => isPrivateAddress(a.address))) {
    throw new ApiError('P650', `Webhook URL points at a private network (${host})`);
  }
  return addresses;
}

/** The check alone, when a URL is saved (none under WEBHOOK_ALLOW_PRIVATE: a sandbox URL may not resolve yet). */
export async function assertPublicDestination(url: URL, allowPrivate: boolean, resolveHost: ResolveHost): Promise<void> {
  if (!allowPrivate) await resolveDestination(url, false, resolveHost);
}

/** base URL + the event's path, without a double slash. */
export const joinUrl = (base: string, path: string): string => base.replace(/\/+$/, '') + path;
