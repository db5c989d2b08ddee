import { deflateSync } from 'node:zlib';
import type { TestApp, TestPartner } from '../support/app.js';

/** Small valid images made in the test, and multipart requests against a test app. */

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes: Buffer) => {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type: string, data: Buffer) => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
};

/** A valid RGB PNG of `width` x `height` filled with one colour; `marker` text goes into a tEXt chunk. */
export function png(width = 24, height = 16, rgb: [number, number, number] = [40, 90, 200], marker = ''): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3).map((_, i) => rgb[i % 3])]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(marker ? [chunk('tEXt', Buffer.from(`Comment\0${marker}`, 'latin1'))] : []),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** JPEG signature and a JFIF header, then filler: enough for type detection. */
export const jpeg = (size = 600) => Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]), Buffer.alloc(size, 7), Buffer.from([0xff, 0xd9]),
]);
export const pdf = () => Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

export interface Part {
  name: string;
  data?: Buffer;
  filename?: string;
  type?: string;
  value?: string;
}

export function form(parts: Part[]): FormData {
  const fd = new FormData();
  for (const p of parts) {
    if (p.value !== undefined) fd.append(p.name, p.value);
    else fd.append(p.name, new Blob([new Uint8Array(p.data!)], { type: p.type ?? 'image/png' }), p.filename ?? `${p.name}.png`);
  }
  return fd;
}

export async function upload(t: TestApp, p: TestPartner, path: string, parts: Part[], headers: Record<string, string> = {}) {
  const res = await fetch(`${t.url}${path}`, { method: 'POST', body: form(parts), headers: { 'x-api-key': p.apiKey, ...headers } });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, headers: res.headers };
}

export const idCardParts = (marker = ''): Part[] => [
  { name: 'front', data: png(24, 16, [200, 30, 30], marker) },
  { name: 'back', data: png(24, 16, [30, 200, 30], marker) },
  { name: 'selfie', data: png(16, 16, [30, 30, 200], marker) },
];

export async function events(t: TestApp, partnerId: string, type: string, externalUserId: string) {
  const rows = await t.db.query<{ path: string; payload: any }>(
    'SELECT path, payload FROM events WHERE partner_id = $1 AND type = $2 ORDER BY id', [partnerId, type],
  );
  return rows.map((r) => ({ path: r.path, ...(typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) }))
    .filter((e) => e.externalUserId === externalUserId);
}

export const advance = (p: TestPartner, seconds: number) => p.call('POST', '/v1/sandbox/clock/advance', { seconds });

export const verificationData = (externalUserId: string) => ({
  externalUserId, documentType: 'ID_CARD', documentNumber: 'ABC123456', issuingCountry: 'PL', issueDate: '2021-04-01', expiryDate: '2031-04-01',
});

export const kycRequest = (externalUserId: string, extra: Record<string, unknown> = {}) => ({
  externalUserId, documentType: 'ID_CARD', country: 'PL', incomeSource: 'SALARY', openAccountReason: 'INVESTMENTS_OR_CRYPTOCURRENCIE',
  occupation: 'ENGINEERING', additionalInfo: 'Salaried civil engineer', ...extra,
});
