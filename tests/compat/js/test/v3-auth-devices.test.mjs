// The v3 AuthenticationClient's "my devices" (authing-node-sdk@4.0.1: `list`, `revoke`,
// `unbind`): every sign-in's tokens are issued to the device its user agent names; the user
// lists their devices, signs one out (its access token stops working on getProfile and its
// refresh token on /oidc/token, the other device's keep working) and forgets one (it leaves
// the list until it signs in again). Another user's device, or a made-up id, is refused as
// unknown (404), never a 5xx. The SDK sends its own user agent (axios), so the phone's
// sign-in is a raw call with an iPhone's user agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pool, uniqueEmail, TESSERA_URL } from './helpers.mjs';
import { data, refused, v3Auth } from './v3-helpers.mjs';

const P = 'v3Devices';
const PASSWORD = 'Passw0rd!dev';
const SCOPE = 'openid profile offline_access';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 '
  + '(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

/** A new user, signed in through the SDK (its axios user agent): the client and its tokens. */
async function sdkUser() {
  const email = uniqueEmail('dev');
  data(await v3Auth(P).signUpByEmailPassword({ email, password: PASSWORD }));
  const auth = v3Auth(P);
  const tokens = data(await auth.signInByEmailPassword({ email, password: PASSWORD, options: { scope: SCOPE } }));
  auth.setAccessToken(tokens.access_token);
  return { auth, email, tokens };
}

/** A raw v3 sign-in from a client with this user agent. */
async function signInAs(email, userAgent) {
  const r = await fetch(`${TESSERA_URL}/api/v3/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-authing-app-id': pool(P).appId, 'user-agent': userAgent },
    body: JSON.stringify({
      connection: 'PASSWORD',
      passwordPayload: { email, password: PASSWORD },
      options: { scope: SCOPE },
    }),
  });
  assert.equal(r.status, 200);
  return data(await r.json());
}

/** A client holding this access token. */
function clientWith(token) {
  const auth = v3Auth(P);
  auth.setAccessToken(token);
  return auth;
}

/** The refresh grant at /oidc/token, raw: its HTTP status and body. */
async function refresh(refreshToken) {
  const p = pool(P);
  const r = await fetch(`${TESSERA_URL}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: p.appId,
      client_secret: p.appSecret,
    }),
  });
  return { status: r.status, body: await r.json() };
}

function checkShape(s) {
  assert.equal(typeof s.device.deviceId, 'string');
  assert.ok(s.device.deviceId.length > 0);
  assert.ok(['Browser', 'Mobile', 'Desktop'].includes(s.device.type), JSON.stringify(s));
  assert.equal(s.device.status, 'activated');
  assert.ok(Date.parse(s.lastLoginTime) > 0, s.lastLoginTime);
  assert.equal(typeof s.online, 'boolean');
}

test('list shows both devices; revoke ends only that device\'s tokens; unbind forgets it until it signs in again', async () => {
  const { auth, email, tokens: laptop } = await sdkUser();
  const phone = await signInAs(email, IPHONE);
  assert.ok(laptop.refresh_token && phone.refresh_token, 'offline_access: refresh tokens');

  const devices = data(await auth.list({}));
  assert.equal(devices.length, 2, JSON.stringify(devices));
  devices.forEach(checkShape);
  const [p, l] = devices; // latest sign-in first
  assert.equal(p.device.type, 'Mobile');
  assert.equal(p.device.os, 'iOS');
  assert.equal(p.device.version, '17.1');
  assert.equal(p.device.mod, 'iPhone');
  assert.equal(p.device.name, 'Safari on iPhone');
  assert.equal(p.device.userAgent, IPHONE);
  assert.equal(typeof p.lastIp, 'string');
  assert.equal(l.device.type, 'Desktop', 'the SDK\'s axios is no browser');
  assert.match(l.device.userAgent, /axios/);
  assert.ok(p.online && l.online);
  assert.notEqual(p.device.deviceId, l.device.deviceId);
  // Paged by the SDK's page and limit (at most 50).
  const second = data(await auth.list({ page: 2, limit: 1 }));
  assert.deepEqual(second.map(s => s.device.deviceId), [l.device.deviceId]);
  refused(await auth.list({ limit: 51 }));

  // Signing the phone out: its access token fails on getProfile, its refresh token at
  // /oidc/token; the laptop's both still work.
  data(await clientWith(phone.access_token).getProfile({}));
  data(await auth.revoke({ deviceId: p.device.deviceId }));
  refused(await clientWith(phone.access_token).getProfile({}));
  const dead = await refresh(phone.refresh_token);
  assert.equal(dead.status, 400, JSON.stringify(dead.body));
  assert.equal(dead.body.error, 'invalid_grant');
  data(await auth.getProfile({}));
  const renewed = await refresh(laptop.refresh_token);
  assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
  data(await clientWith(renewed.body.access_token).getProfile({}));
  const after = data(await auth.list({}));
  assert.equal(after.length, 2, 'a signed-out device stays listed');
  const byId = Object.fromEntries(after.map(s => [s.device.deviceId, s]));
  assert.equal(byId[p.device.deviceId].online, false);
  assert.equal(byId[l.device.deviceId].online, true);

  // Unbinding the phone: it leaves the list; signing in again brings it back, online.
  data(await auth.unbind({ deviceId: p.device.deviceId }));
  assert.deepEqual(data(await auth.list({})).map(s => s.device.deviceId), [l.device.deviceId]);
  refused(await auth.unbind({ deviceId: p.device.deviceId }), { statusCode: 404 });
  const again = await signInAs(email, IPHONE);
  const back = data(await auth.list({}));
  assert.equal(back.length, 2);
  assert.equal(back[0].device.deviceId, p.device.deviceId, 'the same phone, the same device');
  assert.equal(back[0].online, true);
  data(await clientWith(again.access_token).getProfile({}));

  // Unbinding the device one calls from ends the caller's own session too.
  data(await auth.unbind({ deviceId: l.device.deviceId }));
  refused(await auth.getProfile({}));
  data(await clientWith(again.access_token).getProfile({}));
});

test('another user\'s device, a made-up id or none is refused, never a 5xx, and changes nothing', async () => {
  const alice = await sdkUser();
  const bob = await sdkUser();
  const [bobDevice] = data(await bob.auth.list({}));
  assert.ok(bobDevice);
  for (const call of [
    () => alice.auth.revoke({ deviceId: bobDevice.device.deviceId }),
    () => alice.auth.unbind({ deviceId: bobDevice.device.deviceId }),
    () => alice.auth.revoke({ deviceId: 'no-such-device' }),
    () => alice.auth.unbind({ deviceId: 'x'.repeat(5000) }),
  ]) {
    refused(await call(), { statusCode: 404 });
  }
  for (const r of [await alice.auth.revoke({}), await alice.auth.unbind({ deviceId: '' })]) {
    const env = refused(r);
    assert.ok(env.statusCode < 500, JSON.stringify(env));
  }
  // Bob's device is still signed in, and only Bob sees it.
  data(await bob.auth.getProfile({}));
  assert.equal(data(await bob.auth.list({}))[0].online, true);
  assert.ok(data(await alice.auth.list({})).every(s => s.device.deviceId !== bobDevice.device.deviceId));
  // Without a token nothing is listed or ended.
  const anon = v3Auth(P);
  refused(await anon.list({}));
  refused(await anon.revoke({ deviceId: bobDevice.device.deviceId }));
  data(await bob.auth.getProfile({}));
});
