// The WeChat mini-program identity source through authing-node-sdk@4.0.1's
// AuthenticationClient and ManagementClient, against the harness's WeChat mock (its rules:
// wechat-mock.mjs): a connection configured through the v3 management API, sign-in by a
// `wx.login` code and by code plus phone, the shared phone number, decrypted data, the
// mini-program's access token, binding to a signed-in user; WeChat refusing or down is a
// clear error and writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pool, rand, cnPhone, uniqueEmail, client, TESSERA_URL } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';
import { encryptFor } from './wechat-mock.mjs';

const P = 'v3Auth';
const APPID = `wx-app-${rand(6)}`;
const SECRET = 'wx-app-secret';
let IDENT;
let CONN_ID;

function decode(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

async function connection() {
  if (IDENT) return IDENT;
  const mc = v3(P);
  const idp = data(await mc.createExtIdp({ type: 'wechat', name: 'WeChat mini-program' }));
  IDENT = `wxmp-${rand(8)}`;
  CONN_ID = data(await mc.createExtIdpConn({
    extIdpId: idp.id,
    type: 'wechat:miniprogram:default',
    identifier: IDENT,
    displayName: 'Mini Program',
    fields: { appId: APPID, appSecret: SECRET },
  })).id;
  return IDENT;
}

function byCode(identifier, code, extra = {}) {
  return v3Auth(P).signInByMobile({
    extIdpConnidentifier: identifier,
    connection: 'wechat_mini_program_code',
    wechatMiniProgramCodePayload: { code, encryptedData: '', iv: '' },
    options: { scope: 'openid profile' },
    ...extra,
  });
}

test('signInByMobile with a code: the same WeChat user is the same account, with a linked identity', async () => {
  const id = await connection();
  const x = rand(8);
  const first = data(await byCode(id, `wx-${x}`));
  const second = data(await byCode(id, `wx-${x}`));
  assert.equal(decode(first.access_token).sub, decode(second.access_token).sub);
  assert.equal(first.expire_in, first.expires_in);
  const auth = v3Auth(P);
  auth.setAccessToken(second.access_token);
  const me = data(await auth.getProfile({ withIdentities: true }));
  assert.ok(me.identities.some(i => i.provider === 'wechat'), JSON.stringify(me.identities));
  // Another WeChat user is another account.
  const other = data(await byCode(id, `wx-${rand(8)}`));
  assert.notEqual(decode(other.access_token).sub, decode(first.access_token).sub);
});

test('code and phone: an existing user with that phone is linked, not duplicated, and can still log in through v2', async () => {
  const id = await connection();
  const phone = cnPhone();
  const email = uniqueEmail('wxp');
  const made = data(await v3(P).createUser({ email, phone, password: 'Passw0rd!wx' }));
  const t = data(await v3Auth(P).signInByMobile({
    extIdpConnidentifier: id,
    connection: 'wechat_mini_program_code_and_phone',
    wechatMiniProgramCodeAndPhonePayload: { wxLoginInfo: { code: `wx-${rand(8)}` }, wxPhoneInfo: { code: `phone-${phone}` } },
  }));
  assert.equal(decode(t.access_token).sub, made.userId);
  const v2 = await client(P).loginByEmail(email, 'Passw0rd!wx');
  assert.equal(v2.id, made.userId);
});

test('getPhone-style number, decrypted data and the access token of the pool\'s own connection', async () => {
  const id = await connection();
  const phone = cnPhone();
  const r = await fetch(`${TESSERA_URL}/api/v3/get-wechat-miniprogram-phone`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-authing-userpool-id': pool(P).userPoolId },
    body: JSON.stringify({ extIdpConnidentifier: id, code: `phone-${phone}` }),
  });
  const d = data(await r.json());
  assert.equal(d.purePhoneNumber, phone);
  assert.equal(d.phone_info.purePhoneNumber, phone);
  assert.equal(d.phone_info.watermark.appid, APPID);

  const x = rand(8);
  const sealed = encryptFor(x, { nickName: '微信用户', watermark: { appid: APPID, timestamp: 1 } });
  const opened = data(await v3Auth(P).decryptWechatMiniProgramData({ extIdpConnidentifier: id, code: `wx-${x}`, ...sealed }));
  assert.equal(opened.nickName, '微信用户');
  // Decrypted with another user's session key: refused.
  refused(await v3Auth(P).decryptWechatMiniProgramData({ extIdpConnidentifier: id, code: `wx-${rand(8)}`, ...sealed }));

  const token = data(await v3Auth(P).getWechatMpAccessToken({ appId: APPID, appSecret: SECRET }));
  assert.ok(token.accessToken);
  assert.ok(token.expiresAt > Date.now());
  // Never a proxy for credentials the pool does not hold.
  refused(await v3Auth(P).getWechatMpAccessToken({ appId: 'wx-someone-else', appSecret: SECRET }));
  refused(await v3Auth(P).getWechatMpAccessToken({ appId: APPID, appSecret: 'other-secret' }));
  // The management side's method for the same thing.
  assert.ok(data(await v3(P).getWechatMpAccessTokenInfo({ appId: APPID, appSecret: SECRET })).accessToken);
});

test('WeChat refusing or down, unknown connections and other mobile connections: clear errors, nothing written', async () => {
  const id = await connection();
  const before = data(await v3(P).listUsers({ options: { pagination: { page: 1, limit: 1 } } })).totalCount;
  for (const code of ['bad-code', 'down-now']) {
    const r = refused(await byCode(id, code));
    assert.ok(r.statusCode < 500, JSON.stringify(r));
  }
  refused(await byCode('no-such-connection', `wx-${rand(8)}`));
  refused(await v3Auth(P).signInByMobile({ extIdpConnidentifier: id, connection: 'apple', applePayload: {} }));
  refused(await v3Auth(P).signInByMobile({ extIdpConnidentifier: id, connection: 'wechat_mini_program_code' }));
  const after = data(await v3(P).listUsers({ options: { pagination: { page: 1, limit: 1 } } })).totalCount;
  assert.equal(after, before);
});

test('binding WeChat to a signed-in user; an identity already linked elsewhere is refused', async () => {
  const id = await connection();
  const email = uniqueEmail('wxb');
  data(await v3Auth(P).signUpByEmailPassword({ email, password: 'Passw0rd!wx' }));
  const t = data(await v3Auth(P).signInByEmailPassword({ email, password: 'Passw0rd!wx' }));
  const x = rand(8);
  const bind = code => fetch(`${TESSERA_URL}/connections/social/wechat-miniprogram/bind`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-authing-userpool-id': pool(P).userPoolId, authorization: t.access_token },
    body: JSON.stringify({ code, extIdpConnidentifier: id }),
  }).then(r => r.json());
  data(await bind(`wx-${x}`));
  // The WeChat user now signs in as this account.
  const viaWechat = data(await byCode(id, `wx-${x}`));
  assert.equal(decode(viaWechat.access_token).sub, decode(t.access_token).sub);
  // A WeChat user who already has an account cannot be bound to this one.
  const y = rand(8);
  data(await byCode(id, `wx-${y}`));
  refused(await bind(`wx-${y}`));
});

test('changeExtIdpConnState names the application: switched off there, the connection signs nobody in through it, while another application of the pool still does; on again, it does', async () => {
  const id = await connection();
  const mc = v3(P);
  const appId = pool(P).appId;
  // A second application of the same pool, as an app developer would add one.
  const shop = data(await mc.createApplication({ appName: `shop-${rand(6)}`, appIdentifier: `shop-${rand(10)}` }));
  const { secret } = data(await mc.getApplicationSecret({ appId: shop.appId }));
  const shopAuth = v3Auth(P, { appId: shop.appId, appSecret: secret });
  const viaShop = code => shopAuth.signInByMobile({
    extIdpConnidentifier: id,
    connection: 'wechat_mini_program_code',
    wechatMiniProgramCodePayload: { code, encryptedData: '', iv: '' },
  });
  const code = `wx-${rand(8)}`;
  data(await mc.changeExtIdpConnState({ id: CONN_ID, enabled: false, appId }));
  try {
    refused(await byCode(id, code), { apiCode: 1001, message: /身份源未配置/ });
    assert.ok(data(await viaShop(code)).access_token, 'the other application still signs in');
  } finally {
    data(await mc.changeExtIdpConnState({ id: CONN_ID, enabled: true, appId }));
  }
  assert.ok(data(await byCode(id, code)).access_token);
  // Off in the shop only: the first application signs in, the shop does not.
  data(await mc.changeExtIdpConnState({ id: CONN_ID, enabled: false, appId: shop.appId }));
  refused(await viaShop(code), { apiCode: 1001 });
  assert.ok(data(await byCode(id, code)).access_token);
  data(await mc.deleteApplication({ appId: shop.appId }));
});
