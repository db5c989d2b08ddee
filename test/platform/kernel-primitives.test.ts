import { describe, expect, it } from 'vitest';
import { html, raw } from '../../src/kernel/web/html.js';
import { deriveKey, newPageToken, seal, sha256, unseal } from '../../src/kernel/secrets.js';

describe('html templates escape by default', () => {
  it('escapes interpolated text, keeps nested templates and trusted markup', () => {
    const name = `<script>alert("x")</script>&'`;
    const out = html`<p title="${name}">${name}${html`<b>${'a<b'}</b>`}${raw('<i>ok</i>')}${[1, '<', null, false]}</p>`;
    expect(out.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;' +
        '<b>a&lt;b</b><i>ok</i>1&lt;</p>',
    );
  });
});

describe('sealing and page tokens', () => {
  const key = deriveKey('master-secret-for-test', 'test');

  it('round-trips, and refuses another row id, another key or a changed byte', () => {
    const sealed = seal(key, Buffer.from('4000001234567899'), 'card-1');
    expect(sealed.includes(Buffer.from('4000001234567899'))).toBe(false);
    expect(unseal(key, sealed, 'card-1').toString()).toBe('4000001234567899');
    expect(() => unseal(key, sealed, 'card-2')).toThrow();
    expect(() => unseal(deriveKey('other', 'test'), sealed, 'card-1')).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => unseal(key, tampered, 'card-1')).toThrow();
  });

  it('page tokens are random, and only their hash is kept', () => {
    const a = newPageToken();
    const b = newPageToken();
    expect(a.token).not.toBe(b.token);
    expect(a.token.length).toBeGreaterThanOrEqual(43);
    expect(a.hash).toBe(sha256(a.token));
  });
});
