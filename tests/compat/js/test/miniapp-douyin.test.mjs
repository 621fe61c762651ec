// The mini-program SDK (`@authing/miniapp-taro` 5.1.18) on Douyin (`platform: 'tt'`, §6.2)
// inside the Node shim of the Taro runtime, against the harness's Douyin mock (rules:
// douyin-mock.mjs): loginByCode (`douyin_mini_program_code`), getPhone
// (`/api/v3/decrypt-douyin-miniprogram-phone`), loginByPhone
// (`douyin_mini_program_code_and_phone`), decryptData and bindPlatformByCode
// (`/connections/social/douyin-miniprogram/bind`). The pool `miniappDouyin` gets a
// mini-program application of its own, a public client, as in miniapp.test.mjs.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cnPhone, pool, rand, TESSERA_URL } from './helpers.mjs';
import { data, v3 } from './v3-helpers.mjs';
import { miniapp, taro } from '../miniapp/load.mjs';
import { sealForDouyin, sealedPhone } from './douyin-mock.mjs';

const P = 'miniappDouyin';
const APPID = `tt-mini-${rand(6)}`;
const PASSWORD = 'Passw0rd!tt';
let MP;
let IDENT;

before(async () => {
  const mc = v3(P);
  const app = data(await mc.createApplication({
    appName: 'Douyin Mini Program',
    appIdentifier: `ttmp-${rand(10)}`,
    appType: 'mini-program',
    oidcConfig: { token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] },
  }));
  MP = { appId: app.appId, userPoolId: pool(P).userPoolId, host: TESSERA_URL };
  const idp = data(await mc.createExtIdp({ type: 'douyin', name: 'Douyin' }));
  IDENT = `ttmp-${rand(8)}`;
  data(await mc.createExtIdpConn({
    extIdpId: idp.id,
    type: 'douyin:miniprogram:default',
    identifier: IDENT,
    displayName: 'Douyin Mini Program',
    fields: { appId: APPID, appSecret: 'tt-secret' },
  }));
});

/** A fresh device and an SDK on Douyin whose `tt.login` gives `tt-<x>`. */
function device(x) {
  taro.reset();
  taro.setLoginCode(() => `tt-${x}`);
  return miniapp(MP, { platform: 'tt' });
}

function ok([error, value], what = 'the call') {
  assert.equal(error, null, `${what} failed: ${JSON.stringify(error)}`);
  return value;
}

function failed([error, value]) {
  assert.notEqual(error, null, `a failure expected, got ${JSON.stringify(value)}`);
  return error;
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

function lastBody(suffix) {
  return JSON.parse(taro.requests.filter(r => r.url.endsWith(suffix)).at(-1).body);
}

test('loginByCode on Douyin signs in with douyin_mini_program_code; the same Douyin user is the same account', async () => {
  const x = rand(8);
  const sdk = device(x);
  const state = ok(await sdk.loginByCode({ extIdpConnidentifier: IDENT, options: { scope: 'openid profile offline_access' } }));
  const body = lastBody('/api/v3/signin-by-mobile');
  assert.equal(body.connection, 'douyin_mini_program_code');
  assert.deepEqual(body.douyinMiniProgramCodePayload, { encryptedData: '', iv: '', code: `tt-${x}` });
  assert.equal(body.wechatMiniProgramCodePayload, undefined);
  const me = ok(await sdk.getUserInfo({ withIdentities: true, withCustomData: false, withDepartmentIds: false }));
  assert.ok(me.identities.some(i => i.provider === 'douyin'), JSON.stringify(me.identities));
  assert.ok(state.refresh_token);
  ok(await sdk.clearLoginState());
  const again = ok(await sdk.loginByCode({ extIdpConnidentifier: IDENT }));
  assert.equal(claims(again.access_token).sub, claims(state.access_token).sub);
  // A code Douyin refuses: the envelope, nothing stored.
  const bad = device('');
  taro.setLoginCode(() => 'bad-code');
  failed(await bad.loginByCode({ extIdpConnidentifier: IDENT }));
  failed(await bad.getLoginState());
});

test('getPhone and loginByPhone on Douyin: the sealed number is read under a fresh login; an account with it is the one logged in', async () => {
  const phone = cnPhone();
  const x = rand(8);
  const sdk = device(x);
  const info = ok(await sdk.getPhone({ extIdpConnidentifier: IDENT, ...sealedPhone(x, phone, APPID) }));
  assert.equal(info.purePhoneNumber, phone);
  assert.equal(info.watermark.appid, APPID);
  const req = taro.requests.find(r => r.url.endsWith('/api/v3/decrypt-douyin-miniprogram-phone'));
  assert.equal(req.headers['x-authing-userpool-id'], MP.userPoolId);
  assert.equal(JSON.parse(req.body).code, `tt-${x}`);

  const made = data(await v3(P).createUser({ phone, password: PASSWORD }));
  const y = rand(8);
  const phoneSdk = device(y);
  const state = ok(await phoneSdk.loginByPhone({
    extIdpConnidentifier: IDENT,
    miniProgramCodeAndPhonePayload: { phoneParams: sealedPhone(y, phone, APPID) },
  }));
  assert.equal(claims(state.access_token).sub, made.userId);
  const body = lastBody('/api/v3/signin-by-mobile');
  assert.equal(body.connection, 'douyin_mini_program_code_and_phone');
  assert.equal(body.douyinMiniProgramCodeAndPhonePayload.loginParams.code, `tt-${y}`);
  // Data sealed for another login's key is refused.
  const z = device(rand(8));
  failed(await z.getPhone({ extIdpConnidentifier: IDENT, ...sealedPhone(rand(8), phone, APPID) }));
});

test('decryptData and bindPlatformByCode on Douyin', async () => {
  const x = rand(8);
  const sdk = device(x);
  const opened = ok(await sdk.decryptData({
    extIdpConnidentifier: IDENT,
    code: `tt-${x}`,
    ...sealForDouyin(x, { nickName: '抖音', watermark: { appid: APPID } }),
  }));
  assert.equal(opened.nickName, '抖音');
  assert.ok(taro.requests.some(r => r.url.endsWith('/api/v3/decrypt-douyin-miniprogram-data')));

  // A password user binds Douyin, then the Douyin login is that user.
  const phone = cnPhone();
  const made = data(await v3(P).createUser({ phone, password: PASSWORD }));
  const b = rand(8);
  const binder = device(b);
  ok(await binder.loginByPassword({ passwordPayload: { phone, password: PASSWORD } }));
  ok(await binder.bindPlatformByCode({ extIdpConnidentifier: IDENT }));
  assert.ok(taro.requests.some(r => r.url.endsWith('/connections/social/douyin-miniprogram/bind')));
  const viaDouyin = device(b);
  const state = ok(await viaDouyin.loginByCode({ extIdpConnidentifier: IDENT }));
  assert.equal(claims(state.access_token).sub, made.userId);
  // A Douyin user who already has an account cannot be bound to another.
  const other = data(await v3(P).createUser({ phone: cnPhone(), password: PASSWORD }));
  const taken = device(b);
  ok(await taken.loginByPassword({ passwordPayload: { phone: other.phone, password: PASSWORD } }));
  failed(await taken.bindPlatformByCode({ extIdpConnidentifier: IDENT }));
});
