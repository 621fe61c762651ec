// The Alipay app login through authing-node-sdk@4.0.1's AuthenticationClient: an `alipay`
// connection (appId, pid, the application's private key) configured through the v3
// ManagementClient; getAlipayAuthInfo's `authInfo` verified with the application's public
// key, as Alipay would; signInByMobile with the `authCode` against the harness's Alipay
// gateway mock (tests/compat/src/alipay_mock.rs: `ali-<x>` → user_id `2088<x>`, and it
// checks each request's RSA2 signature with the same public key). A refusal or an outage is
// a clear error and writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { fixtures, rand } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';

const P = 'v3Alipay';
const APP_ID = '2021000117600001';
const PID = '2088102177846880';
let IDP;

function decode(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

async function connection(fields = { appId: APP_ID, pid: PID, privateKey: fixtures.alipay.privateKey }) {
  const mc = v3(P);
  if (!IDP) IDP = data(await mc.createExtIdp({ type: 'alipay', name: 'Alipay' }));
  const identifier = `alipay-${rand(8)}`;
  data(await mc.createExtIdpConn({ extIdpId: IDP.id, type: 'alipay', identifier, displayName: 'Alipay', fields }));
  return identifier;
}

let MAIN;
async function main() {
  MAIN ??= await connection();
  return MAIN;
}

function byAuthCode(identifier, authCode) {
  return v3Auth(P).signInByMobile({
    extIdpConnidentifier: identifier,
    connection: 'alipay',
    alipayPayload: { authCode },
    options: { scope: 'openid profile' },
  });
}

async function userCount() {
  return data(await v3(P).listUsers({ options: { pagination: { page: 1, limit: 1 } } })).totalCount;
}

/** `authInfo` split into its parameters (in order) and its decoded signature. */
function parse(authInfo) {
  const at = authInfo.lastIndexOf('&sign=');
  assert.ok(at > 0, authInfo);
  const content = authInfo.slice(0, at);
  const sign = decodeURIComponent(authInfo.slice(at + '&sign='.length));
  const params = content.split('&').map(p => p.split('='));
  return { content, params, sign };
}

test('getAlipayAuthInfo: Alipay\'s login parameters, sorted and signed with RSA2 by the connection\'s key', async () => {
  const id = await main();
  const { authInfo } = data(await v3Auth(P).getAlipayAuthInfo({ extIdpConnidentifier: id }));
  const { content, params, sign } = parse(authInfo);
  const names = params.map(([k]) => k);
  assert.deepEqual(names, [...names].sort());
  const p = Object.fromEntries(params);
  assert.equal(p.apiname, 'com.alipay.account.auth');
  assert.equal(p.method, 'alipay.open.auth.sdk.code.get');
  assert.equal(p.app_id, APP_ID);
  assert.equal(p.pid, PID);
  assert.equal(p.app_name, 'mc');
  assert.equal(p.biz_type, 'openservice');
  assert.equal(p.product_id, 'APP_FAST_LOGIN');
  assert.equal(p.scope, 'kuaijie');
  assert.equal(p.auth_type, 'AUTHACCOUNT');
  assert.equal(p.sign_type, 'RSA2');
  assert.ok(p.target_id);
  // The application's public key verifies it; any change to the content breaks it.
  const pub = crypto.createPublicKey(fixtures.alipay.publicKey);
  assert.ok(crypto.verify('RSA-SHA256', Buffer.from(content), pub, Buffer.from(sign, 'base64')));
  assert.ok(!crypto.verify('RSA-SHA256', Buffer.from(content.replace(PID, '2088000000000000')), pub, Buffer.from(sign, 'base64')));
  // Each request is its own authorisation: a fresh target_id.
  const again = parse(data(await v3Auth(P).getAlipayAuthInfo({ extIdpConnidentifier: id })).authInfo);
  assert.notEqual(Object.fromEntries(again.params).target_id, p.target_id);
});

test('getAlipayAuthInfo for an unknown, incomplete or non-Alipay connection is refused', async () => {
  refused(await v3Auth(P).getAlipayAuthInfo({ extIdpConnidentifier: 'no-such-connection' }));
  refused(await v3Auth(P).getAlipayAuthInfo({ extIdpConnidentifier: '' }));
  const noKey = await connection({ appId: APP_ID, pid: PID });
  refused(await v3Auth(P).getAlipayAuthInfo({ extIdpConnidentifier: noKey }));
  const noPid = await connection({ appId: APP_ID, privateKey: fixtures.alipay.privateKey });
  refused(await v3Auth(P).getAlipayAuthInfo({ extIdpConnidentifier: noPid }));
  const badKey = await connection({ appId: APP_ID, pid: PID, privateKey: 'not-a-key' });
  const r = refused(await v3Auth(P).getAlipayAuthInfo({ extIdpConnidentifier: badKey }));
  assert.ok(r.statusCode < 500, JSON.stringify(r));
});

test('signInByMobile with an Alipay authCode: the same Alipay user is the same account, linked as alipay', async () => {
  const id = await main();
  const x = rand(8);
  const first = data(await byAuthCode(id, `ali-${x}`));
  const second = data(await byAuthCode(id, `ali-${x}`));
  assert.equal(decode(first.access_token).sub, decode(second.access_token).sub);
  const auth = v3Auth(P);
  auth.setAccessToken(first.access_token);
  const me = data(await auth.getProfile({ withIdentities: true }));
  const linked = me.identities.find(i => i.provider === 'alipay');
  assert.ok(linked, JSON.stringify(me.identities));
  assert.equal(linked.userIdInIdp, `2088${x}`);
  const other = data(await byAuthCode(id, `ali-${rand(8)}`));
  assert.notEqual(decode(other.access_token).sub, decode(first.access_token).sub);
});

test('Alipay refusing (bad code, another key\'s signature) or down: clear errors, nothing written', async () => {
  const id = await main();
  const before = await userCount();
  for (const code of ['bad-code', 'down-now', '']) {
    const r = refused(await byAuthCode(id, code));
    assert.ok(r.statusCode < 500, JSON.stringify(r));
  }
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherKey = await connection({
    appId: APP_ID, pid: PID, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }),
  });
  refused(await byAuthCode(otherKey, `ali-${rand(8)}`));
  refused(await byAuthCode('no-such-connection', `ali-${rand(8)}`));
  refused(await v3Auth(P).signInByMobile({ extIdpConnidentifier: id, connection: 'alipay' }));
  assert.equal(await userCount(), before);
});
