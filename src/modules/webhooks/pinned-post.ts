import type { LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

/**
 * POSTs `body` to `url` over a connection to one of `addresses` (resolved and checked by
 * resolveDestination) and never resolves the host again, so a DNS server cannot answer a public
 * address to the check and a private one to the connection. Only the socket's lookup is replaced:
 * the Host header, TLS SNI and the certificate check still use the URL's host name. Redirects are not
 * followed (a 3xx is the answer). Resolves with the status once at most 64 KB of the answer are read;
 * `signal` bounds the whole exchange, but an answer already received keeps its status.
 */
export function postPinned(
  url: URL, addresses: LookupAddress[], headers: Record<string, string>, body: string, signal: AbortSignal,
): Promise<number> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: pinnedLookup(addresses),
      signal,
    }, (res) => {
      answered = true;
      void drain(res).then(() => resolve(res.statusCode!));
    });
    req.on('error', (e) => answered || reject(e));
    req.end(body);
  });
}

/** Answers the socket's lookup with the checked addresses: all of them when asked (Happy Eyeballs), else the first. */
const pinnedLookup = (addresses: LookupAddress[]): LookupFunction => (_hostname, options, callback) => {
  if (options.all) callback(null, addresses);
  else callback(null, addresses[0].address, addresses[0].family);
};

/** Reads a small answer to the end (keeps the connection reusable); gives up on a large one. */
async function drain(res: IncomingMessage, limit = 64 * 1024): Promise<void> {
  let read = 0;
  try {
    for await (const chunk of res) {
      read += (chunk as Buffer).byteLength;
      if (read > limit) break; // leaving the loop destroys the answer and its connection
    }
  } catch {
    // the answer's body does not matter, only its status
  }
}
