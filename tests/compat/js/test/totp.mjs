// RFC 6238 TOTP in the tests' own code (node's HMAC-SHA1), to answer the server's MFA step
// with the secret an enrollment returned.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

export function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    const i = alphabet.indexOf(c);
    assert.ok(i >= 0, `base32: ${c}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of `secret` at time step `step`. */
export function totpAt(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', secret).update(msg).digest();
  const off = h[h.length - 1] & 0x0f;
  const n = ((h[off] & 0x7f) << 24) | (h[off + 1] << 16) | (h[off + 2] << 8) | h[off + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

export const stepNow = () => Math.floor(Date.now() / 1000 / 30);

/** A six-digit code that is none of the live ones. */
export function wrongTotp(secret) {
  const live = [-1, 0, 1].map(d => totpAt(secret, stepNow() + d));
  for (let n = 0; ; n++) {
    const c = String((n * 7919) % 1_000_000).padStart(6, '0');
    if (!live.includes(c)) return c;
  }
}
