// The Douyin mini-program identity source through authing-node-sdk@4.0.1's
// AuthenticationClient and ManagementClient, against the harness's Douyin mock (its rules:
// douyin-mock.mjs): a connection of kind `douyin:miniprogram:default` configured through the
// v3 management API, sign-in by a `tt.login` code and by code plus the sealed phone number,
// decryptDouyinMiniProgramData; Douyin refusing or down, a wrong connection or data sealed
// for someone else is a clear error and writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cnPhone, pool, rand, uniqueEmail, client, TESSERA_URL } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';
import { sealForDouyin, sealedPhone } from './douyin-mock.mjs';

const P = 'v3Douyin';
const APPID = `tt-app-${rand(6)}`;
let IDENT;
let IDP;

function decode(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

async function connection(appId = APPID, secret = 'tt-app-secret') {
  const mc = v3(P);
  if (!IDP) IDP = data(await mc.createExtIdp({ type: 'douyin', name: 'Douyin mini-program' }));
  const identifier = `ttmp-${rand(8)}`;
  data(await mc.createExtIdpConn({
    extIdpId: IDP.id,
    type: 'douyin:miniprogram:default',
    identifier,
    displayName: 'Douyin Mini Program',
    fields: { appId, appSecret: secret },
  }));
  return identifier;
}

async function main() {
  IDENT ??= await connection();
  return IDENT;
}

function byCode(identifier, code, extra = {}) {
  return v3Auth(P).signInByMobile({
    extIdpConnidentifier: identifier,
    connection: 'douyin_mini_program_code',
    douyinMiniProgramCodePayload: { code, encryptedData: '', iv: '' },
    options: { scope: 'openid profile' },
    ...extra,
  });
}

function byCodeAndPhone(identifier, code, sealed) {
  return v3Auth(P).signInByMobile({
    extIdpConnidentifier: identifier,
    connection: 'douyin_mini_program_code_and_phone',
    douyinMiniProgramCodeAndPhonePayload: {
      loginParams: { code, encryptedData: '', iv: '' },
      phoneParams: sealed,
    },
  });
}

async function userCount() {
  return data(await v3(P).listUsers({ options: { pagination: { page: 1, limit: 1 } } })).totalCount;
}

test('signInByMobile with a Douyin code: the same Douyin user is the same account, linked as douyin', async () => {
  const id = await main();
  const x = rand(8);
  const first = data(await byCode(id, `tt-${x}`));
  const second = data(await byCode(id, `tt-${x}`));
  assert.equal(decode(first.access_token).sub, decode(second.access_token).sub);
  const auth = v3Auth(P);
  auth.setAccessToken(second.access_token);
  const me = data(await auth.getProfile({ withIdentities: true }));
  const linked = me.identities.find(i => i.provider === 'douyin');
  assert.ok(linked, JSON.stringify(me.identities));
  assert.equal(linked.userIdInIdp, `tt-openid-${x}`);
  // Another Douyin user is another account.
  const other = data(await byCode(id, `tt-${rand(8)}`));
  assert.notEqual(decode(other.access_token).sub, decode(first.access_token).sub);
});

test('a Douyin unionid is one account across the pool\'s Douyin mini-programs', async () => {
  const a = await main();
  const b = await connection(`tt-other-${rand(6)}`);
  const x = `u${rand(8)}`;
  const viaA = data(await byCode(a, `tt-${x}`));
  const viaB = data(await byCode(b, `tt-${x}`));
  assert.equal(decode(viaA.access_token).sub, decode(viaB.access_token).sub);
});

test('code and phone: an existing user with that number is linked, a new number registers a user with it', async () => {
  const id = await main();
  const phone = cnPhone();
  const email = uniqueEmail('ttp');
  const made = data(await v3(P).createUser({ email, phone, password: 'Passw0rd!tt' }));
  const x = rand(8);
  const t = data(await byCodeAndPhone(id, `tt-${x}`, sealedPhone(x, phone, APPID)));
  assert.equal(decode(t.access_token).sub, made.userId);
  // The link holds: the code alone now logs the same user in, and the password still works.
  assert.equal(decode(data(await byCode(id, `tt-${x}`)).access_token).sub, made.userId);
  assert.equal((await client(P).loginByEmail(email, 'Passw0rd!tt')).id, made.userId);

  const fresh = cnPhone();
  const y = rand(8);
  const n = data(await byCodeAndPhone(id, `tt-${y}`, sealedPhone(y, fresh, APPID)));
  const auth = v3Auth(P);
  auth.setAccessToken(n.access_token);
  const me = data(await auth.getProfile({}));
  assert.equal(me.phone, fresh);
  assert.equal(me.phoneVerified, true);
});

test('phone data sealed for another mini-program or under another login is refused, nothing written', async () => {
  const id = await main();
  const before = await userCount();
  const x = rand(8);
  refused(await byCodeAndPhone(id, `tt-${x}`, sealedPhone(x, cnPhone(), 'tt-someone-else')));
  refused(await byCodeAndPhone(id, `tt-${x}`, sealedPhone(rand(8), cnPhone(), APPID)));
  refused(await byCodeAndPhone(id, `tt-${x}`, { encryptedData: '', iv: '' }));
  assert.equal(await userCount(), before);
});

test('decryptDouyinMiniProgramData opens data sealed under the login code\'s session key', async () => {
  const id = await main();
  const x = rand(8);
  const sealed = sealForDouyin(x, { nickName: '抖音用户', watermark: { appid: APPID, timestamp: 1 } });
  const opened = data(await v3Auth(P).decryptDouyinMiniProgramData({ extIdpConnidentifier: id, code: `tt-${x}`, ...sealed }));
  assert.equal(opened.nickName, '抖音用户');
  assert.equal(opened.watermark.appid, APPID);
  // Another user's session key, another mini-program's data, a refused code, no connection.
  refused(await v3Auth(P).decryptDouyinMiniProgramData({ extIdpConnidentifier: id, code: `tt-${rand(8)}`, ...sealed }));
  const foreign = sealForDouyin(x, { nickName: 'x', watermark: { appid: 'tt-someone-else' } });
  refused(await v3Auth(P).decryptDouyinMiniProgramData({ extIdpConnidentifier: id, code: `tt-${x}`, ...foreign }));
  refused(await v3Auth(P).decryptDouyinMiniProgramData({ extIdpConnidentifier: id, code: 'bad-code', ...sealed }));
  refused(await v3Auth(P).decryptDouyinMiniProgramData({ extIdpConnidentifier: 'no-such', code: `tt-${x}`, ...sealed }));
  refused(await v3Auth(P).decryptDouyinMiniProgramData({ extIdpConnidentifier: id, code: `tt-${x}`, iv: sealed.iv, encryptedData: '' }));
});

test('Douyin refusing or down, a wrong secret, unknown or WeChat connections: clear errors, nothing written', async () => {
  const id = await main();
  const before = await userCount();
  for (const code of ['bad-code', 'down-now', 'wx-abc']) {
    const r = refused(await byCode(id, code));
    assert.ok(r.statusCode < 500, JSON.stringify(r));
  }
  const down = refused(await byCode(id, 'down-now', {}), {});
  assert.match(down.message, /抖音|身份源/);
  // The SDK sends no language; a raw call asks for English.
  const en = refused(await (await fetch(`${TESSERA_URL}/api/v3/signin-by-mobile`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-authing-app-id': pool(P).appId, 'x-authing-lang': 'en-US' },
    body: JSON.stringify({
      extIdpConnidentifier: id,
      connection: 'douyin_mini_program_code',
      douyinMiniProgramCodePayload: { code: 'bad-code' },
      client_id: pool(P).appId,
      client_secret: pool(P).appSecret,
    }),
  })).json());
  assert.match(en.message, /identity provider/i, JSON.stringify(en));
  const badSecret = await connection(`tt-bad-${rand(4)}`, 'bad-secret');
  refused(await byCode(badSecret, `tt-${rand(8)}`));
  refused(await byCode('no-such-connection', `tt-${rand(8)}`));
  refused(await v3Auth(P).signInByMobile({ extIdpConnidentifier: id, connection: 'douyin_mini_program_code' }));
  refused(await v3Auth(P).signInByMobile({ extIdpConnidentifier: id, connection: 'douyin_mini_program_code_and_phone' }));
  // A WeChat mini-program connection is not a Douyin one, and the other way round.
  const mc = v3(P);
  const wxIdp = data(await mc.createExtIdp({ type: 'wechat', name: 'WeChat' }));
  const wx = `wxmp-${rand(8)}`;
  data(await mc.createExtIdpConn({
    extIdpId: wxIdp.id, type: 'wechat:miniprogram:default', identifier: wx, displayName: 'WX',
    fields: { appId: 'wx-app', appSecret: 'wx-secret' },
  }));
  refused(await byCode(wx, `tt-${rand(8)}`));
  refused(await v3Auth(P).signInByMobile({
    extIdpConnidentifier: id,
    connection: 'wechat_mini_program_code',
    wechatMiniProgramCodePayload: { code: `wx-${rand(8)}` },
  }));
  assert.equal(await userCount(), before);
});
