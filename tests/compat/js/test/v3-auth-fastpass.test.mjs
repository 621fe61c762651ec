// Quick authentication from the personal center, through authing-node-sdk@4.0.1's
// AuthenticationClient: the signed-in web user makes a code (geneFastpassQrcodeInfo) and
// polls it (getAppLoginQrCodeStatus); an app that scanned it lists the applications it can
// log in to (getFastpassParams) and logs in as that user, for itself (qrCodeAppLogin) — once,
// within the code's time, through every rule of the one core login. Pool 'v3Fastpass'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationClient } from 'authing-node-sdk';
import { TESSERA_URL, pool, rand, sleep, uniqueEmail } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';

const P = 'v3Fastpass';
const PASSWORD = 'Passw0rd!fp';
const mc = v3(P);

/** A client of application `appId` of the pool, holding no token: an app on a phone, which
 * keeps no secret. */
function appClient(appId) {
  return new AuthenticationClient({ appId, appHost: pool(P).appHost, tokenEndPointAuthMethod: 'none' });
}

/** A new application of the pool (its access policy ALLOW_ALL unless changed). */
async function newApp(extra = {}) {
  return data(await mc.createApplication({
    appName: `fp-${rand(6)}`,
    appIdentifier: `fp-${rand(10)}`,
    ...extra,
  }));
}

/** A user signed in to the personal center's application (or `appId`'s). */
async function signedIn({ appId, nickname = 'Web User' } = {}) {
  const email = uniqueEmail('fp');
  const user = data(await v3Auth(P).signUpByEmailPassword({ email, password: PASSWORD, profile: { nickname } }));
  const web = appId ? appClient(appId) : v3Auth(P);
  const t = data(await web.signInByEmailPassword({ email, password: PASSWORD }));
  web.setAccessToken(t.access_token);
  return { web, user, email, token: t.access_token };
}

function decode(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

/** A raw call, for the language header the SDK does not send. */
async function rawCall(path, { method = 'POST', body, query, lang = 'en-US', appId = pool(P).appId } = {}) {
  const qs = query ? `?${new URLSearchParams(query)}` : '';
  const r = await fetch(`${TESSERA_URL}${path}${qs}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-authing-app-id': appId, 'x-authing-lang': lang },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(r.status, 200, `${path}: HTTP ${r.status}`);
  return r.json();
}

test('the full flow: the web user makes a code, an app lists its applications and logs in as the user, the web page sees it, the token works', async () => {
  const { web, user, email } = await signedIn({ nickname: 'Fast Pass' });
  const mobile = await newApp();
  const closed = await newApp();
  data(await mc.updateApplicationPermissionStrategy({ appId: closed.appId, permissionStrategy: 'DENY_ALL' }));

  const info = data(await web.geneFastpassQrcodeInfo({ options: { scope: 'openid profile email' } }));
  assert.deepEqual(Object.keys(info).sort(), ['apiHost', 'appId', 'qrcodeId', 'scene', 'user', 'userpool']);
  assert.equal(typeof info.scene, 'string');
  assert.ok(info.qrcodeId.length >= 32);
  assert.equal(info.apiHost, TESSERA_URL);
  assert.equal(info.appId, pool(P).appId);
  assert.deepEqual(info.user, { id: user.userId, displayName: 'Fast Pass', photo: info.user.photo });
  assert.equal(typeof info.user.photo, 'string');
  assert.equal(info.userpool.id, pool(P).userPoolId);
  assert.equal(typeof info.userpool.displayName, 'string');
  assert.equal(data(await web.getAppLoginQrCodeStatus({ qrcodeId: info.qrcodeId })).status, 'PENDING');

  // The app read the QR data: it lists what the code logs in to — the applications the
  // access policy lets the user into, as the management side sees them.
  const app = appClient(mobile.appId);
  const { relationApps } = data(await app.getFastpassParams({ qrcodeId: info.qrcodeId, appId: info.appId }));
  const listed = relationApps.map(a => a.id).sort();
  assert.ok(listed.includes(pool(P).appId) && listed.includes(mobile.appId), JSON.stringify(relationApps));
  assert.ok(!listed.includes(closed.appId), 'DENY_ALL keeps the user out');
  const mgmtView = data(await mc.getUserAccessibleApps({ userId: user.userId })).map(a => a.appId).sort();
  assert.deepEqual(listed, mgmtView);
  const mine = relationApps.find(a => a.id === mobile.appId);
  assert.equal(mine.name, mobile.appName);
  const scanned = data(await web.getAppLoginQrCodeStatus({ qrcodeId: info.qrcodeId }));
  assert.equal(scanned.status, 'SCANNED');
  assert.equal(scanned.briefUserInfo.displayName, 'Fast Pass');

  // The app logs in as the user, for itself.
  const tokens = data(await app.qrCodeAppLogin({ action: 'APP_LOGIN', qrcodeId: info.qrcodeId }));
  assert.equal(tokens.token_type, 'Bearer');
  assert.equal(tokens.expire_in, tokens.expires_in);
  assert.ok(tokens.scope.split(' ').includes('email'), tokens.scope);
  assert.equal(decode(tokens.access_token).sub, user.userId);
  const id = decode(tokens.id_token);
  assert.equal(id.sub, user.userId);
  assert.equal(id.aud, mobile.appId);
  app.setAccessToken(tokens.access_token);
  const profile = data(await app.getProfile({}));
  assert.equal(profile.userId, user.userId);
  assert.equal(profile.email, email);

  const done = data(await web.getAppLoginQrCodeStatus({ qrcodeId: info.qrcodeId }));
  assert.equal(done.status, 'AUTHORIZED');
  assert.equal(done.briefUserInfo.displayName, 'Fast Pass');
  assert.equal(done.ticket, undefined);
  assert.equal(done.tokenSet, undefined, 'the tokens went to the app, not to the poll');

  // Replayed: refused, in either language; listing with a used code too.
  const again = refused(await appClient(mobile.appId).qrCodeAppLogin({ action: 'APP_LOGIN', qrcodeId: info.qrcodeId }), { statusCode: 400 });
  assert.match(again.message, /二维码已被使用/);
  const en = refused(await rawCall('/api/v3/qrcode-app-login', { body: { action: 'APP_LOGIN', qrcodeId: info.qrcodeId }, appId: mobile.appId }));
  assert.equal(en.message, 'The QR code has already been used');
  refused(await app.getFastpassParams({ qrcodeId: info.qrcodeId, appId: info.appId }), { statusCode: 400 });

  // The application the policy keeps the user out of is refused by the login itself.
  const c2 = data(await web.geneFastpassQrcodeInfo({}));
  refused(await appClient(closed.appId).qrCodeAppLogin({ action: 'APP_LOGIN', qrcodeId: c2.qrcodeId }), { statusCode: 403 });
  // … and the code is spent.
  refused(await app.qrCodeAppLogin({ action: 'APP_LOGIN', qrcodeId: c2.qrcodeId }), { statusCode: 400 });
});

test('an expired code: the poll says EXPIRED and no app logs in with it (a code lives no longer than its session)', async () => {
  // Sessions of this application last 2 s, so its codes do too.
  const short = await newApp({ oidcConfig: { access_token_expire: 2 } });
  const { web } = await signedIn({ appId: short.appId });
  const info = data(await web.geneFastpassQrcodeInfo({}));
  assert.equal(data(await web.getAppLoginQrCodeStatus({ qrcodeId: info.qrcodeId })).status, 'PENDING');
  await sleep(2500);
  assert.equal(data(await v3Auth(P).getAppLoginQrCodeStatus({ qrcodeId: info.qrcodeId })).status, 'EXPIRED');
  const r = refused(await v3Auth(P).qrCodeAppLogin({ action: 'APP_LOGIN', qrcodeId: info.qrcodeId }), { statusCode: 400 });
  assert.match(r.message, /二维码已过期/);
  const en = refused(await rawCall('/api/v3/qrcode-app-login', { body: { action: 'APP_LOGIN', qrcodeId: info.qrcodeId } }));
  assert.equal(en.message, 'The QR code has expired');
  refused(await v3Auth(P).getFastpassParams({ qrcodeId: info.qrcodeId, appId: short.appId }), { statusCode: 400 });
});

test('another pool\'s code is unknown here', async () => {
  const { web } = await signedIn();
  const info = data(await web.geneFastpassQrcodeInfo({}));
  const other = v3Auth('v3Auth');
  refused(await other.qrCodeAppLogin({ action: 'APP_LOGIN', qrcodeId: info.qrcodeId }), { statusCode: 404 });
  refused(await other.getAppLoginQrCodeStatus({ qrcodeId: info.qrcodeId }), { statusCode: 404 });
  refused(await other.getFastpassParams({ qrcodeId: info.qrcodeId, appId: pool('v3Auth').appId }), { statusCode: 404 });
  // An application of another pool named in the list request is not one of this pool.
  refused(await v3Auth(P).getFastpassParams({ qrcodeId: info.qrcodeId, appId: pool('v3Auth').appId }), { statusCode: 404 });
  // The code still works in its own pool: nothing above spent it.
  assert.ok(data(await v3Auth(P).qrCodeAppLogin({ action: 'APP_LOGIN', qrcodeId: info.qrcodeId })).access_token);
});

test('a user blocked or kicked after making the code gets no login', async () => {
  const { web, user } = await signedIn();
  const blocked = data(await web.geneFastpassQrcodeInfo({}));
  data(await mc.updateUser({ userId: user.userId, status: 'Suspended' }));
  refused(await v3Auth(P).qrCodeAppLogin({ action: 'APP_LOGIN', qrcodeId: blocked.qrcodeId }), { apiCode: 2005 });
  data(await mc.updateUser({ userId: user.userId, status: 'Activated' }));

  const k = await signedIn();
  const kicked = data(await k.web.geneFastpassQrcodeInfo({}));
  await sleep(5);
  data(await mc.kickUsers({ userId: k.user.userId, appIds: [pool(P).appId] }));
  const rk = refused(await v3Auth(P).qrCodeAppLogin({ action: 'APP_LOGIN', qrcodeId: kicked.qrcodeId }), { statusCode: 400 });
  assert.match(rk.message, /二维码已过期/);
});

test('a code needs the user\'s token; bad input is refused and writes nothing', async () => {
  const anonymous = v3Auth(P);
  refused(await anonymous.geneFastpassQrcodeInfo({}), { statusCode: 401 });
  const badToken = v3Auth(P);
  badToken.setAccessToken('not-a-token');
  refused(await badToken.geneFastpassQrcodeInfo({}));
  const { web } = await signedIn();
  refused(await web.geneFastpassQrcodeInfo({ options: { customData: { school: 'pku' } } }), { statusCode: 400 });
  refused(await web.geneFastpassQrcodeInfo({ options: { scope: 'x'.repeat(2000) } }), { statusCode: 400 });
  const info = data(await web.geneFastpassQrcodeInfo({}));
  refused(await v3Auth(P).qrCodeAppLogin({ action: 'NOPE', qrcodeId: info.qrcodeId }), { statusCode: 400 });
  refused(await v3Auth(P).qrCodeAppLogin({ action: 'APP_LOGIN' }), { statusCode: 400 });
  refused(await v3Auth(P).qrCodeAppLogin({ action: 'APP_LOGIN', qrcodeId: 'no-such-code' }), { statusCode: 404 });
  refused(await v3Auth(P).getAppLoginQrCodeStatus({ qrcodeId: 'no-such-code' }), { statusCode: 404 });
  refused(await v3Auth(P).getFastpassParams({ qrcodeId: info.qrcodeId }), { statusCode: 400 });
  const en = refused(await rawCall('/api/v3/gene-fastpass-qrcode-info', { body: {} }), { statusCode: 401 });
  assert.match(en.message, /[A-Za-z]/);
  assert.doesNotMatch(en.message, /[\u4e00-\u9fff]/);
  // None of the refusals touched the code.
  assert.equal(data(await web.getAppLoginQrCodeStatus({ qrcodeId: info.qrcodeId })).status, 'PENDING');
});
