// WeChat mobile-app (open platform) sign-in and account linking through
// authing-node-sdk@4.0.1's AuthenticationClient, against the harness's WeChat mock (its
// rules: wechat-mock.mjs): a `wechat:mobile` connection created through the v3
// ManagementClient; authByCodeIdentity answers an unlinked person with a key (statusCode
// 301, apiCode 1640) that registerNewUser, bindByEmailCode, bindByPhoneCode, bindByAccount,
// selectAccount and bindByAccountId spend; a linked person gets tokens directly; a used,
// foreign or unknown key, a wrong code or password, and WeChat refusing are clear errors
// that write nothing. Pools: v3WxMobile, v3WxMobileClosed (registration disabled).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pool, rand, cnPhone, uniqueEmail, uniqueUsername, mailboxSeq, waitMail, waitSms, wrongCode, mgmt } from './helpers.mjs';
import { data, raw, refused, v3, v3Auth } from './v3-helpers.mjs';

const P = 'v3WxMobile';
const CLOSED = 'v3WxMobileClosed';
const APPID = `wx-mobile-${rand(6)}`;
const conns = {};

function sub(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).sub;
}

/** The pool's WeChat mobile-app connection (created once per pool), by its identifier. */
async function connection(poolName, secret = 'wx-mobile-secret') {
  const k = `${poolName}:${secret}`;
  if (conns[k]) return conns[k];
  const mc = v3(poolName);
  const idp = data(await mc.createExtIdp({ type: 'wechat', name: `WeChat app ${rand(4)}` }));
  const identifier = `wxm-${rand(8)}`;
  const conn = data(await mc.createExtIdpConn({
    extIdpId: idp.id,
    type: 'wechat:mobile',
    identifier,
    displayName: 'Mobile app',
    fields: { appId: APPID, appSecret: secret },
  }));
  assert.ok(conn.id, JSON.stringify(conn));
  conns[k] = { id: conn.id, identifier };
  return conns[k];
}

async function auth(poolName, code) {
  const connId = (await connection(poolName)).id;
  return v3Auth(poolName).authByCodeIdentity({ code, connId, options: { scope: 'openid profile' } });
}

/** An unlinked person's answer: the key and the rest of `WechatIdentityResolveRespDto`. */
async function keyFor(poolName, code) {
  const r = await auth(poolName, code);
  assert.equal(r.statusCode, 301, JSON.stringify(r));
  assert.equal(r.apiCode, 1640, JSON.stringify(r));
  assert.ok(r.message.length > 0);
  assert.equal(typeof r.data.key, 'string');
  assert.ok(r.data.key.length >= 32);
  assert.equal(r.uniqueId, r.data.key);
  assert.ok(r.data.methods.includes('phone-code') && r.data.methods.includes('email-code'));
  assert.ok(Array.isArray(r.data.accounts));
  return r.data;
}

async function userCount(poolName) {
  return data(await v3(poolName).listUsers({ options: { pagination: { page: 1, limit: 1 } } })).totalCount;
}

test('an unlinked person gets a key; registerNewUser makes a user with WeChat\'s profile, and the next code logs in directly', async () => {
  const x = rand(8);
  const before = await userCount(P);
  const { key, accounts } = await keyFor(P, `wx-${x}`);
  assert.deepEqual(accounts, []);
  assert.equal(await userCount(P), before, 'the key writes no user');
  const t = data(await v3Auth(P).registerNewUser({ key, action: 'register' }));
  assert.ok(t.access_token && t.id_token);
  assert.equal(t.token_type, 'Bearer');
  const userId = sub(t.access_token);
  const user = data(await v3(P).getUser({ userId, withIdentities: true }));
  assert.equal(user.nickname, `nick-${x}`);
  assert.equal(user.photo, `https://wx.qlogo.cn/mock/${x}.png`);
  // Linked: the next code of the same person logs in without a key.
  const again = data(await auth(P, `wx-${x}`));
  assert.equal(sub(again.access_token), userId);
  // The key was used once.
  refused(await v3Auth(P).registerNewUser({ key, action: 'register' }));
  assert.equal(await userCount(P), before + 1);
});

test('bindByEmailCode: a wrong code leaves the key; the right login code links the user with that address', async () => {
  const email = uniqueEmail('wxm');
  const made = data(await v3(P).createUser({ email, password: 'Passw0rd!wx' }));
  const x = rand(8);
  const { key } = await keyFor(P, `wx-${x}`);
  const a = v3Auth(P);
  const since = await mailboxSeq();
  data(await a.sendEmail({ email, channel: 'CHANNEL_LOGIN' }));
  const code = (await waitMail(email, since)).code;
  refused(await a.bindByEmailCode({ key, action: 'bind', email, code: wrongCode(code) }));
  // An address nobody has: "user not found", even with a right code.
  const nobody = uniqueEmail('wxm-nobody');
  const s2 = await mailboxSeq();
  data(await a.sendEmail({ email: nobody, channel: 'CHANNEL_LOGIN' }));
  const nobodyCode = (await waitMail(nobody, s2)).code;
  refused(await a.bindByEmailCode({ key, action: 'bind', email: nobody, code: nobodyCode }));
  const t = data(await a.bindByEmailCode({ key, action: 'bind', email, code }));
  assert.equal(sub(t.access_token), made.userId);
  assert.equal(sub(data(await auth(P, `wx-${x}`)).access_token), made.userId);
  const ids = data(await v3(P).getUser({ userId: made.userId, withIdentities: true })).identities;
  assert.ok(ids.some(i => i.provider === 'wechat'), JSON.stringify(ids));
});

test('bindByPhoneCode links the user with that phone', async () => {
  const phone = cnPhone();
  const made = data(await v3(P).createUser({ phone, password: 'Passw0rd!wx' }));
  const x = rand(8);
  const { key } = await keyFor(P, `wx-${x}`);
  const a = v3Auth(P);
  const since = await mailboxSeq();
  data(await a.sendSms({ phoneNumber: phone, channel: 'CHANNEL_LOGIN' }));
  const code = (await waitSms(phone, undefined, since)).code;
  refused(await a.bindByPhoneCode({ key, action: 'bind', phone, code: wrongCode(code) }));
  const t = data(await a.bindByPhoneCode({ key, action: 'bind', phone, phoneCountryCode: '+86', code }));
  assert.equal(sub(t.access_token), made.userId);
  assert.equal(sub(data(await auth(P, `wx-${x}`)).access_token), made.userId);
});

test('bindByAccount: a wrong password is refused and the key kept; the right one links', async () => {
  const username = uniqueUsername('wxm');
  const made = data(await v3(P).createUser({ username, password: 'Passw0rd!wx' }));
  const x = rand(8);
  const { key } = await keyFor(P, `wx-${x}`);
  const a = v3Auth(P);
  refused(await a.bindByAccount({ key, action: 'bind', account: username, password: 'wrong-Passw0rd' }));
  refused(await a.bindByAccount({ key, action: 'bind', account: `no-${username}`, password: 'Passw0rd!wx' }));
  refused(await a.bindByAccount({ key, action: '', account: username, password: 'Passw0rd!wx' }));
  const t = data(await a.bindByAccount({ key, action: 'bind', account: username, password: 'Passw0rd!wx' }));
  assert.equal(sub(t.access_token), made.userId);
  refused(await a.bindByAccount({ key, action: 'bind', account: username, password: 'Passw0rd!wx' }), {}, 'used key');
  assert.equal(sub(data(await auth(P, `wx-${x}`)).access_token), made.userId);
});

test('selectAccount and bindByAccountId pick only among the users WeChat\'s unionid names', async () => {
  // An administrator migrated two accounts carrying the person's unionid.
  const x = `u${rand(7)}`;
  const m = mgmt(P);
  const one = await m.users.create({ username: uniqueUsername('wxu1'), password: 'Passw0rd!wx', unionid: `unionid-${x}` });
  const two = await m.users.create({ username: uniqueUsername('wxu2'), password: 'Passw0rd!wx', unionid: `unionid-${x}` });
  const outsider = data(await v3(P).createUser({ username: uniqueUsername('wxo'), password: 'Passw0rd!wx' }));
  const first = await keyFor(P, `wx-${x}`);
  assert.deepEqual([...first.accounts].sort(), [one.id, two.id].sort());
  const a = v3Auth(P);
  refused(await a.selectAccount({ key: first.key, action: 'select', account: outsider.userId }));
  const t = data(await a.selectAccount({ key: first.key, action: 'select', account: two.id }));
  assert.equal(sub(t.access_token), two.id);
  assert.equal(sub(data(await auth(P, `wx-${x}`)).access_token), two.id);

  // bindByAccountId, for another person with a candidate.
  const y = `u${rand(7)}`;
  const three = await m.users.create({ username: uniqueUsername('wxu3'), password: 'Passw0rd!wx', unionid: `unionid-${y}` });
  const second = await keyFor(P, `wx-${y}`);
  assert.deepEqual(second.accounts, [three.id]);
  refused(await a.bindByAccountId({ key: second.key, action: 'bind', accountId: outsider.userId }));
  const t2 = data(await a.bindByAccountId({ key: second.key, action: 'bind', accountId: three.id }));
  assert.equal(sub(t2.access_token), three.id);
});

test('keys: unknown, of another pool, or used are refused', async () => {
  const { key } = await keyFor(P, `wx-${rand(8)}`);
  refused(await v3Auth(P).registerNewUser({ key: 'not-a-key', action: 'register' }));
  await connection(CLOSED);
  const before = await userCount(CLOSED);
  refused(await v3Auth(CLOSED).registerNewUser({ key, action: 'register' }), {}, 'foreign pool');
  assert.equal(await userCount(CLOSED), before);
  // Still good in its own pool, once.
  data(await v3Auth(P).registerNewUser({ key, action: 'register' }));
  refused(await v3Auth(P).registerNewUser({ key, action: 'register' }));
});

test('registration disabled: registerNewUser is refused and writes nothing; binding an existing account still works', async () => {
  const before = await userCount(CLOSED);
  const { key } = await keyFor(CLOSED, `wx-${rand(8)}`);
  refused(await v3Auth(CLOSED).registerNewUser({ key, action: 'register' }));
  assert.equal(await userCount(CLOSED), before);
  const username = uniqueUsername('wxc');
  const made = data(await v3(CLOSED).createUser({ username, password: 'Passw0rd!wx' }));
  const t = data(await v3Auth(CLOSED).bindByAccount({ key, action: 'bind', account: username, password: 'Passw0rd!wx' }));
  assert.equal(sub(t.access_token), made.userId);
});

test('WeChat refusing or down, a bad secret, an unknown connection: clear errors, nothing written', async () => {
  await connection(P);
  const before = await userCount(P);
  for (const code of ['bad-code', 'down-now', 'not-a-wechat-code']) {
    const r = refused(await auth(P, code));
    assert.ok(r.statusCode < 500 && r.statusCode !== 301, JSON.stringify(r));
  }
  const badConn = (await connection(P, 'bad-secret')).id;
  const r = refused(await v3Auth(P).authByCodeIdentity({ code: `wx-${rand(8)}`, connId: badConn }));
  assert.ok(r.statusCode < 500 && r.statusCode !== 301, JSON.stringify(r));
  refused(await v3Auth(P).authByCodeIdentity({ code: `wx-${rand(8)}`, connId: 'no-such-connection' }));
  refused(await v3Auth(P).authByCodeIdentity({ code: '' }));
  // The refusal in the caller's language: zh-CN by default, en-US when asked.
  const body = JSON.stringify({ code: 'bad-code', connId: (await connection(P)).id });
  const zh = refused(await raw('/api/v2/ecConn/wechatMobile/authByCodeIdentity', { headers: { 'x-authing-app-id': pool(P).appId }, body }));
  assert.match(zh.message, /微信/);
  const en = refused(await raw('/api/v2/ecConn/wechatMobile/authByCodeIdentity', { headers: { 'x-authing-app-id': pool(P).appId, 'x-authing-lang': 'en-US' }, body }));
  assert.match(en.message, /WeChat/);
  assert.equal(await userCount(P), before);
});

test('signInByMobile with connection wechat: the mobile app\'s code signs in, registering a new person', async () => {
  const { identifier } = await connection(P);
  const x = rand(8);
  const signIn = () => v3Auth(P).signInByMobile({ extIdpConnidentifier: identifier, connection: 'wechat', wechatPayload: { code: `wx-${x}` } });
  const first = data(await signIn());
  const second = data(await signIn());
  assert.equal(sub(first.access_token), sub(second.access_token));
  // The same person through authByCodeIdentity: linked already.
  assert.equal(sub(data(await auth(P, `wx-${x}`)).access_token), sub(first.access_token));
  refused(await v3Auth(P).signInByMobile({ extIdpConnidentifier: identifier, connection: 'wechat' }));
});

test('malformed bodies: a refusal envelope from every path, never an HTTP error or a 5xx', async () => {
  const p = pool(P);
  const paths = ['authByCodeIdentity', 'register', 'byEmailCode', 'byPhoneCode', 'byAccount', 'select', 'byAccountId'];
  const bodies = [{}, { code: 5, key: [], action: {} }, { key: 'x'.repeat(40_000), action: 'a', code: '1', email: 3, phone: [], account: {}, accountId: 1, password: 2 }];
  const before = await userCount(P);
  for (const path of paths) {
    for (const body of bodies) {
      const r = await raw(`/api/v2/ecConn/wechatMobile/${path}`, {
        headers: { 'x-authing-app-id': p.appId },
        body: JSON.stringify(body),
      });
      refused(r);
      assert.ok(r.statusCode < 500 && r.statusCode !== 301, `${path} ${JSON.stringify(r)}`);
    }
  }
  assert.equal(await userCount(P), before);
});
