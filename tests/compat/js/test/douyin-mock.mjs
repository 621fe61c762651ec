// The Douyin API mock's rules (tests/compat/src/douyin_mock.rs), for JS tests: the harness
// serves it beside the WeChat mock and points the server's Douyin client at it.
//
// A `tt.login` code `tt-<x>` → openid `tt-openid-<x>`, unionid `tt-unionid-<x>` when <x>
// starts with `u`, and the session key douyinSessionKeyFor(<x>); `down…` → HTTP 503; any
// other code → err_no 40018. A secret starting with `bad` → err_no 40015.
import crypto from 'node:crypto';

/** base64 of the first 16 bytes of SHA-256("douyin-mock:" + x): the session key of `tt-<x>`. */
export function douyinSessionKeyFor(x) {
  return crypto.createHash('sha256').update('douyin-mock:' + x).digest().subarray(0, 16).toString('base64');
}

/**
 * What a Douyin mini-program hands over as `encryptedData`/`iv`: `data` (an object; add
 * `watermark: {appid}` for the connection's appId) encrypted with AES-128-CBC (PKCS#7) under
 * the session key of the login code `tt-<x>`.
 */
export function sealForDouyin(x, data, iv = crypto.randomBytes(16)) {
  const key = Buffer.from(douyinSessionKeyFor(x), 'base64');
  const cipher = crypto.createCipheriv('aes-128-cbc', key, iv);
  const enc = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
  return { encryptedData: enc.toString('base64'), iv: iv.toString('base64') };
}

/** Douyin's `getPhoneNumber` data for `phone`, made for `appid`, sealed for `tt-<x>`. */
export function sealedPhone(x, phone, appid) {
  return sealForDouyin(x, {
    phoneNumber: phone,
    purePhoneNumber: phone,
    countryCode: '86',
    watermark: { appid, timestamp: 1700000000 },
  });
}
