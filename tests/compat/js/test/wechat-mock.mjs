// The WeChat API mock's rules (tests/compat/src/wechat_mock.rs), for JS tests: the harness
// points the server's WeChat client at the mock and sets WECHAT_MOCK_URL.
//
// js_code `wx-<x>` → openid `openid-<x>`, `unionid-<x>` when <x> starts with `u`, and the
// session key sessionKeyFor(<x>); `bad…` → errcode 40029; `down…` → HTTP 503. Phone code
// `phone-<digits>` → that number, country code 86, watermark.appid = the mini-program's
// appId. A mobile app's authorization code (sns/oauth2/access_token) `wx-<x>` → openid
// `openid-<appId>-<x>` (with `unionid-<x>` when <x> starts with `u`), and its sns/userinfo
// nickname `nick-<x>`, headimgurl `https://wx.qlogo.cn/mock/<x>.png`; `bad…` → 40029,
// `down…` → HTTP 503. A secret starting with `bad` → errcode 40125.
import crypto from 'node:crypto';

export const wechatMockUrl = process.env.WECHAT_MOCK_URL;

/** base64 of the first 16 bytes of SHA-256("wechat-mock:" + x): the session key of `wx-<x>`. */
export function sessionKeyFor(x) {
  return crypto.createHash('sha256').update('wechat-mock:' + x).digest().subarray(0, 16).toString('base64');
}

/**
 * What a mini-program hands over as `encryptedData`/`iv`: `data` (an object; add
 * `watermark: {appid}` for the connection's appId) encrypted with AES-128-CBC (PKCS#7) under
 * the session key of the login code `wx-<x>`.
 */
export function encryptFor(x, data, iv = crypto.randomBytes(16)) {
  const key = Buffer.from(sessionKeyFor(x), 'base64');
  const cipher = crypto.createCipheriv('aes-128-cbc', key, iv);
  const enc = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
  return { encryptedData: enc.toString('base64'), iv: iv.toString('base64') };
}
