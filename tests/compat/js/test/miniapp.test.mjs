// The mini-program SDK (`@authing/miniapp-taro` 5.1.18, seed 004) against Tessera, inside the
// Node shim of the Taro runtime (`../miniapp/`): loginByPassword (none, rsa, sm2), sendSms +
// loginByPassCode, refreshToken, getUserInfo, updateUserInfo, updatePassword, updateAvatar,
// logout, getLoginState, clearLoginState, and, against the harness's WeChat mock, loginByCode,
// getPhone and loginByPhone; the error shape the SDK returns, and one core: a user made
// through the mini-program logs in through v2 and v3.
//
// The pool `miniapp` gets a mini-program application of its own, a public client
// (`token_endpoint_auth_method: none`, §5.2), through the v3 ManagementClient; the pool's
// default application stays confidential and still needs its secret at `/oidc/token`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, cnPhone, mailboxSeq, pool, rand, uniqueUsername, waitMail, waitSms, TESSERA_URL } from './helpers.mjs';
import { data, v3, v3Auth } from './v3-helpers.mjs';
import { miniapp, taro } from '../miniapp/load.mjs';
import { rsaEncryptFunction, sm2EncryptFunction } from '../miniapp/encrypt.mjs';

const P = 'miniapp';
const PASSWORD = 'Passw0rd!mp';
const OFFLINE = 'openid profile offline_access';

/** The mini-program application: `{appId, userPoolId, host}`. */
let MP;
let imageDir;

const system = await (await fetch(`${TESSERA_URL}/api/v3/system`)).json();

before(async () => {
  const app = data(
    await v3(P).createApplication({
      appName: 'Mini Program',
      appIdentifier: `mp-${rand(10)}`,
      appType: 'mini-program',
      oidcConfig: { token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] },
    })
  );
  assert.equal(app.oidcConfig.token_endpoint_auth_method, 'none');
  MP = { appId: app.appId, userPoolId: pool(P).userPoolId, host: TESSERA_URL };
  imageDir = mkdtempSync(join(tmpdir(), 'miniapp-'));
});

after(() => {
  if (imageDir) rmSync(imageDir, { recursive: true, force: true });
});

/** A fresh device (empty storage, empty request log) and an SDK on it. */
function device(extra = {}) {
  taro.reset();
  return miniapp(MP, extra);
}

/** The value of an `[error, value]` answer that must have succeeded. */
function ok([error, value], what = 'the call') {
  assert.equal(error, null, `${what} failed: ${JSON.stringify(error)}`);
  return value;
}

/** The error of an `[error, value]` answer that must have failed. */
function failed([error, value], what = 'the call') {
  assert.notEqual(error, null, `${what} should have failed, got ${JSON.stringify(value)}`);
  assert.equal(value, undefined);
  return error;
}

/** A server refusal as the SDK hands it over: the v3 envelope, statusCode not 200. */
function refusal(error, { statusCode, apiCode } = {}) {
  const shown = JSON.stringify(error);
  assert.equal(typeof error.statusCode, 'number', shown);
  assert.notEqual(error.statusCode, 200, shown);
  assert.ok(error.statusCode < 500, shown);
  assert.equal(typeof error.message, 'string', shown);
  assert.ok(error.message.length > 0, shown);
  if (statusCode !== undefined) assert.equal(error.statusCode, statusCode, shown);
  if (apiCode !== undefined) assert.equal(error.apiCode, apiCode, shown);
  return error;
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

/** A user made through the mini-program: a password sign-in that registers the username. */
async function newUser(sdk, extra = {}) {
  const username = uniqueUsername('mp');
  const state = ok(
    await sdk.loginByPassword({
      passwordPayload: { username, password: PASSWORD },
      options: { autoRegister: true, ...extra },
    }),
    'loginByPassword with autoRegister'
  );
  return { username, state, userId: claims(state.access_token).sub };
}

/** A profile call with a token, outside the SDK (to see a revoked token refused). */
async function profileWith(token) {
  const r = await fetch(`${TESSERA_URL}/api/v3/get-profile`, {
    headers: { authorization: token, 'x-authing-userpool-id': MP.userPoolId },
  });
  assert.equal(r.status, 200);
  return r.json();
}

async function tokenEndpoint(form, headers = {}) {
  const r = await fetch(`${TESSERA_URL}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: r.status, body: await r.json() };
}

test('the shim runs the bundle: a sign-in goes out as the SDK builds it and its state is stored', async () => {
  const sdk = device();
  failed(await sdk.getLoginState(), 'getLoginState before any login');
  assert.equal(taro.requests.length, 0, 'getLoginState is local');
  const before = Date.now();
  const { state, username } = await newUser(sdk);
  const [req] = taro.requests;
  assert.equal(req.url, `${TESSERA_URL}/api/v3/signin`);
  assert.equal(req.method, 'POST');
  assert.equal(req.headers['x-authing-app-id'], MP.appId);
  assert.equal(req.headers['x-authing-request-from'], 'sdk-miniapp');
  assert.equal(req.headers['x-authing-sdk-version'], '5.1.18');
  assert.equal(req.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(req.body), {
    passwordPayload: { username, password: PASSWORD },
    options: { autoRegister: true },
    connection: 'PASSWORD',
  });

  assert.equal(state.token_type, 'Bearer');
  assert.ok(state.id_token);
  assert.equal(state.refresh_token, undefined, 'no offline_access, no refresh token');
  assert.ok(state.expires_in > 0);
  assert.ok(state.expires_at >= before + state.expires_in * 1000, 'expires_at from expires_in');
  assert.equal(claims(state.id_token).aud, MP.appId, 'tokens of the mini-program application');
  const stored = taro.storage.get(`authing:${MP.appId}:login-state`);
  assert.deepEqual(stored, state);
  assert.deepEqual(ok(await sdk.getLoginState()), state);
});

test('loginByPassword by username and by account; a wrong password is the 403/2333 envelope', async () => {
  const sdk = device();
  const { username, userId } = await newUser(sdk);
  ok(await sdk.clearLoginState());
  const byAccount = ok(await sdk.loginByPassword({ passwordPayload: { account: username, password: PASSWORD } }));
  assert.equal(claims(byAccount.access_token).sub, userId);

  ok(await sdk.clearLoginState());
  const wrong = refusal(
    failed(await sdk.loginByPassword({ passwordPayload: { username, password: 'not-it-1A' } })),
    { statusCode: 403, apiCode: 2333 }
  );
  const unknown = refusal(
    failed(await sdk.loginByPassword({ passwordPayload: { username: uniqueUsername('none'), password: PASSWORD } })),
    { statusCode: 403, apiCode: 2333 }
  );
  assert.equal(wrong.message, unknown.message, 'one answer: no account enumeration');
  failed(await sdk.getLoginState(), 'a failed login stores nothing');
});

test('loginByPassword with rsa: the SDK encrypts with the key of /api/v3/system', async () => {
  const plain = device();
  const { username, userId } = await newUser(plain);
  const sdk = device({ encryptFunction: rsaEncryptFunction });
  const state = ok(
    await sdk.loginByPassword({ passwordPayload: { username, password: PASSWORD }, options: { passwordEncryptType: 'rsa' } })
  );
  assert.equal(claims(state.access_token).sub, userId);
  const [sys, signin] = taro.requests;
  assert.equal(sys.url, `${TESSERA_URL}/api/v3/system`);
  const sent = JSON.parse(signin.body).passwordPayload.password;
  assert.notEqual(sent, PASSWORD);
  const modulusBytes = createPublicKey(system.rsa.publicKey).asymmetricKeyDetails.modulusLength / 8;
  assert.equal(Buffer.from(sent, 'base64').length, modulusBytes, 'one RSA block (standard base64)');

  // Without encryptFunction the SDK refuses locally; nothing is sent.
  const bare = device();
  failed(await bare.loginByPassword({ passwordPayload: { username, password: PASSWORD }, options: { passwordEncryptType: 'rsa' } }));
  assert.equal(taro.requests.length, 0);

  // A ciphertext that does not decrypt is a wrong password, never an account: asked to
  // register one, the server refuses rather than create a user whose password nobody knows.
  const broken = device({ encryptFunction: () => 'bm90IGEgY2lwaGVydGV4dA==' });
  refusal(failed(await broken.loginByPassword({ passwordPayload: { username, password: PASSWORD }, options: { passwordEncryptType: 'rsa' } })));
  const ghost = uniqueUsername('ghost');
  const ghostRefusal = refusal(
    failed(
      await broken.loginByPassword({
        passwordPayload: { username: ghost, password: PASSWORD },
        options: { passwordEncryptType: 'rsa', autoRegister: true },
      })
    )
  );
  assert.equal(ghostRefusal.apiCode, 2016, 'the password does not decrypt');
  const listed = data(await v3(P).listUsers({ options: { fuzzySearchOn: ['username'] }, keywords: ghost }));
  assert.equal(listed.totalCount, 0, 'no account was made for an undecryptable password');
});

test('loginByPassword with sm2: hex C1C3C2 with the key of /api/v3/system', async () => {
  const { username, userId } = await newUser(device());
  const sdk = device({ encryptFunction: sm2EncryptFunction });
  const state = ok(
    await sdk.loginByPassword({ passwordPayload: { username, password: PASSWORD }, options: { passwordEncryptType: 'sm2' } })
  );
  assert.equal(claims(state.access_token).sub, userId);
  const sent = JSON.parse(taro.requests[1].body).passwordPayload.password;
  assert.match(sent, /^[0-9a-f]+$/);
  assert.equal(sent.length, 2 * (64 + 32) + 2 * Buffer.byteLength(PASSWORD));
  // A wrong password encrypted the same way is a wrong password.
  ok(await sdk.clearLoginState());
  refusal(
    failed(await sdk.loginByPassword({ passwordPayload: { username, password: 'not-it-1A' }, options: { passwordEncryptType: 'sm2' } })),
    { apiCode: 2333 }
  );
});

test('sendSms then loginByPassCode: the code the SMS carried signs in (and registers the number), once', async () => {
  const sdk = device();
  const phone = cnPhone();
  const since = await mailboxSeq();
  const sent = ok(await sdk.sendSms({ phoneNumber: phone, channel: 'CHANNEL_LOGIN' }));
  assert.ok(sent !== undefined);
  const smsReq = taro.requests[0];
  assert.equal(smsReq.url, `${TESSERA_URL}/api/v3/send-sms`);
  assert.equal(smsReq.headers['x-authing-userpool-id'], MP.userPoolId);
  assert.equal(smsReq.headers['x-authing-app-id'], undefined, 'the pool alone names the request');
  assert.equal(JSON.parse(smsReq.body).phoneCountryCode, '+86');
  const { code } = await waitSms(phone, undefined, since);

  const state = ok(await sdk.loginByPassCode({ passCodePayload: { passCode: code, phone }, options: { scope: OFFLINE } }));
  assert.ok(state.refresh_token);
  const me = ok(await sdk.getUserInfo());
  assert.equal(me.phone, phone);
  assert.equal(me.phoneVerified, true);

  ok(await sdk.clearLoginState());
  refusal(failed(await sdk.loginByPassCode({ passCodePayload: { passCode: code, phone } }), 'a spent code'));
  refusal(failed(await sdk.sendSms({ phoneNumber: phone, channel: 'CHANNEL_NOPE' }), 'an unknown channel'));
});

test('sendEmailCode then loginByPassCode by email', async () => {
  const sdk = device();
  const email = `mp-${rand(10)}@example.com`;
  const since = await mailboxSeq();
  ok(await sdk.sendEmailCode({ email, channel: 'CHANNEL_LOGIN' }));
  assert.equal(taro.requests[0].headers['x-authing-userpool-id'], MP.userPoolId);
  const { code } = await waitMail(email, since);
  ok(await sdk.loginByPassCode({ passCodePayload: { passCode: code, email } }));
  const me = ok(await sdk.getUserInfo());
  assert.equal(me.email, email);
  assert.equal(me.emailVerified, true);
});

test('refreshToken: a form with no client_id, the app named by x-authing-app-id; the old refresh token is spent', async () => {
  const sdk = device();
  const { state } = await newUser(sdk, { scope: OFFLINE });
  assert.ok(state.refresh_token, 'offline_access: a refresh token');
  taro.requests.length = 0;
  const next = ok(await sdk.refreshToken());
  const [req] = taro.requests;
  assert.equal(req.url, `${TESSERA_URL}/oidc/token`);
  assert.equal(req.headers['x-authing-app-id'], MP.appId);
  assert.equal(req.body, `grant_type=refresh_token&redirect_uri=&refresh_token=${encodeURIComponent(state.refresh_token)}`);
  assert.notEqual(next.access_token, state.access_token);
  assert.ok(next.refresh_token && next.refresh_token !== state.refresh_token, 'rotated');
  assert.ok(next.expires_at > Date.now());
  assert.equal(claims(next.access_token).sub, claims(state.access_token).sub);
  assert.deepEqual(ok(await sdk.getLoginState()), next);
  ok(await sdk.getUserInfo(), 'the new access token works');

  // The spent refresh token is refused (and, being reuse, ends the family).
  const reuse = await tokenEndpoint({ grant_type: 'refresh_token', refresh_token: state.refresh_token }, { 'x-authing-app-id': MP.appId });
  assert.equal(reuse.status, 400);
  assert.equal(reuse.body.error, 'invalid_grant');

  // Without offline_access there is nothing to refresh: the SDK says so and sends nothing.
  const plain = device();
  await newUser(plain);
  taro.requests.length = 0;
  failed(await plain.refreshToken());
  assert.equal(taro.requests.length, 0);
});

test('a confidential application named by x-authing-app-id still needs its secret at /oidc/token', async () => {
  const p = pool(P);
  const auth = v3Auth(P);
  const username = uniqueUsername('conf');
  data(await auth.signUpByUsernamePassword({ username, password: PASSWORD }));
  const t = data(await auth.signInByUsernamePassword({ username, password: PASSWORD, options: { scope: OFFLINE } }));
  assert.ok(t.refresh_token);
  const bare = await tokenEndpoint({ grant_type: 'refresh_token', redirect_uri: '', refresh_token: t.refresh_token }, { 'x-authing-app-id': p.appId });
  assert.equal(bare.status, 401);
  assert.equal(bare.body.error, 'invalid_client');
  const wrong = await tokenEndpoint({ grant_type: 'refresh_token', refresh_token: t.refresh_token, client_secret: 'not-the-secret' }, { 'x-authing-app-id': p.appId });
  assert.equal(wrong.status, 401);
  // The header names the client, the form's secret proves it.
  const good = await tokenEndpoint({ grant_type: 'refresh_token', refresh_token: t.refresh_token, client_secret: p.appSecret }, { 'x-authing-app-id': p.appId });
  assert.equal(good.status, 200, JSON.stringify(good.body));
  assert.ok(good.body.access_token);
  // A form client_id wins over the header: the mini-program's id does not buy the
  // confidential application's tokens.
  const other = await tokenEndpoint({ grant_type: 'refresh_token', refresh_token: good.body.refresh_token, client_id: MP.appId }, { 'x-authing-app-id': p.appId });
  assert.equal(other.status, 400);
  assert.equal(other.body.error, 'invalid_grant');
  // Neither a form client_id nor the header: no client at all.
  const none = await tokenEndpoint({ grant_type: 'refresh_token', refresh_token: 'x' });
  assert.equal(none.status, 401);
});

test('getUserInfo: GET with its flags in the query, the raw token and the pool header; what it returns is the user', async () => {
  const sdk = device();
  const { state, userId, username } = await newUser(sdk);
  taro.requests.length = 0;
  const me = ok(await sdk.getUserInfo());
  const [req] = taro.requests;
  assert.equal(req.method, 'GET');
  assert.equal(req.url, `${TESSERA_URL}/api/v3/get-profile?withCustomData=false&withDepartmentIds=false&withIdentities=false`);
  assert.equal(req.headers.Authorization, state.access_token, 'raw, no Bearer');
  assert.equal(req.headers['x-authing-userpool-id'], MP.userPoolId);
  assert.equal(me.userId, userId);
  assert.equal(me.username, username);
  assert.equal(typeof me.createdAt, 'string');
  const full = ok(await sdk.getUserInfo({ withCustomData: true, withDepartmentIds: true, withIdentities: true }));
  assert.deepEqual(full.identities, []);
  assert.deepEqual(full.departmentIds, []);
  assert.equal(typeof full.customData, 'object');

  // An expired stored state is refused locally; a state with a forged token by the server.
  const key = `authing:${MP.appId}:login-state`;
  taro.storage.set(key, { ...state, expires_at: Date.now() - 1000 });
  taro.requests.length = 0;
  failed(await sdk.getUserInfo());
  assert.equal(taro.requests.length, 0);
  taro.storage.set(key, { ...state, access_token: `${state.access_token.slice(0, -4)}AAAA` });
  refusal(failed(await sdk.getUserInfo()), { statusCode: 401 });
});

test('updateUserInfo writes the profile and answers the user; a bad field is refused and writes nothing', async () => {
  const sdk = device();
  const { userId } = await newUser(sdk);
  const updated = ok(
    await sdk.updateUserInfo({ nickname: 'Mini', city: 'Hangzhou', address: 'West Lake 1', gender: 'F', birthdate: '2000-01-02' })
  );
  assert.equal(updated.userId, userId);
  assert.equal(updated.nickname, 'Mini');
  assert.equal(updated.city, 'Hangzhou');
  assert.equal(updated.gender, 'F');
  assert.equal(JSON.parse(taro.requests.at(-1).body).address, 'West Lake 1');
  const me = ok(await sdk.getUserInfo());
  assert.equal(me.address, 'West Lake 1');
  assert.equal(me.birthdate, '2000-01-02');

  refusal(failed(await sdk.updateUserInfo({ nickname: 'x', customData: { noSuchField: 1 } })));
  assert.equal(ok(await sdk.getUserInfo()).nickname, 'Mini', 'nothing written');
});

test('updatePassword: the new password encrypted with rsa, the old one plain, as the SDK sends them', async () => {
  const sdk = device({ encryptFunction: rsaEncryptFunction });
  const { username } = await newUser(sdk);
  const NEW = 'N3w-Passw0rd!mp';
  refusal(failed(await sdk.updatePassword({ newPassword: NEW, oldPassword: 'not-it-1A', passwordEncryptType: 'rsa' }), 'a wrong old password'));
  taro.requests.length = 0;
  ok(await sdk.updatePassword({ newPassword: NEW, oldPassword: PASSWORD, passwordEncryptType: 'rsa' }));
  const body = JSON.parse(taro.requests.at(-1).body);
  assert.equal(body.oldPassword, PASSWORD, 'the SDK leaves the old password plain');
  assert.notEqual(body.newPassword, NEW);
  assert.equal(body.passwordEncryptType, 'rsa');

  const other = device();
  refusal(failed(await other.loginByPassword({ passwordPayload: { username, password: PASSWORD } })), { apiCode: 2333 });
  ok(await other.loginByPassword({ passwordPayload: { username, password: NEW } }));
});

test('updatePassword with sm2', async () => {
  const sdk = device({ encryptFunction: sm2EncryptFunction });
  const { username } = await newUser(sdk);
  const NEW = 'N3w-Sm2-Passw0rd';
  ok(await sdk.updatePassword({ newPassword: NEW, oldPassword: PASSWORD, passwordEncryptType: 'sm2' }));
  ok(await device().loginByPassword({ passwordPayload: { username, password: NEW } }));
});

// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64'
);

test('updateAvatar: a multipart upload with no headers at all, then the photo set to its URL', async () => {
  const sdk = device();
  await newUser(sdk);
  const file = join(imageDir, 'avatar.png');
  writeFileSync(file, PNG);
  taro.setNextImage(file);
  taro.requests.length = 0;
  const answer = ok(await sdk.updateAvatar());
  const [upload, update] = taro.requests;
  assert.equal(upload.api, 'uploadFile');
  assert.equal(upload.url, `${TESSERA_URL}/api/v2/upload?folder=avatar`);
  assert.deepEqual(upload.headers, {}, 'wx.uploadFile sends no SDK headers');
  assert.equal(update.url, `${TESSERA_URL}/api/v3/update-profile`);
  assert.equal(answer.code, 200);
  assert.equal(answer.statusCode, 200);
  assert.equal(typeof answer.message, 'string');
  assert.match(answer.data.key, /^avatar\//);
  assert.ok(answer.data.url.startsWith(`${TESSERA_URL}/uploads/`));
  assert.equal(ok(await sdk.getUserInfo()).photo, answer.data.url);
  const served = await fetch(answer.data.url);
  assert.equal(served.status, 200);
  assert.deepEqual(Buffer.from(await served.arrayBuffer()), PNG);

  // What is no image is refused in both envelopes (v2's code, v3's statusCode); the SDK
  // then reports an error and changes no photo.
  const text = join(imageDir, 'not-an-image.png');
  writeFileSync(text, '<svg onload=alert(1)>');
  taro.setNextImage(text);
  failed(await sdk.updateAvatar());
  assert.equal(ok(await sdk.getUserInfo()).photo, answer.data.url);
  const form = new FormData();
  form.append('file', new Blob(['hello']), 'x.txt');
  const refused = await (await fetch(`${TESSERA_URL}/api/v2/upload?folder=avatar`, { method: 'POST', body: form })).json();
  assert.notEqual(refused.code, 200);
  assert.notEqual(refused.statusCode, 200);
  assert.equal(typeof refused.message, 'string');
});

test('logout revokes the token with client_id and token only, then clears the state', async () => {
  const sdk = device();
  const { state } = await newUser(sdk, { scope: OFFLINE });
  assert.equal((await profileWith(state.access_token)).statusCode, 200);

  // The confidential application's id alone revokes nothing.
  const conf = await fetch(`${TESSERA_URL}/oidc/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: pool(P).appId, token: state.access_token }).toString(),
  });
  assert.equal(conf.status, 401);
  assert.equal((await profileWith(state.access_token)).statusCode, 200);

  taro.requests.length = 0;
  assert.equal(ok(await sdk.logout()), true);
  const [req] = taro.requests;
  assert.equal(req.url, `${TESSERA_URL}/oidc/token/revocation`);
  assert.equal(req.headers['x-authing-app-id'], undefined);
  assert.equal(req.body, `client_id=${MP.appId}&token=${encodeURIComponent(state.access_token)}`);
  failed(await sdk.getLoginState(), 'the state is gone');
  const after = await profileWith(state.access_token);
  assert.equal(after.statusCode, 401, JSON.stringify(after));
  // The whole grant went: its refresh token buys nothing either.
  const rt = await tokenEndpoint({ grant_type: 'refresh_token', refresh_token: state.refresh_token }, { 'x-authing-app-id': MP.appId });
  assert.equal(rt.body.error, 'invalid_grant');
  // Without a state, logout sends nothing and succeeds.
  taro.requests.length = 0;
  assert.equal(ok(await sdk.logout()), true);
  assert.equal(taro.requests.length, 0);
});

test('getLoginState and clearLoginState are local; the state is one per appId on the device', async () => {
  const sdk = device();
  const { state } = await newUser(sdk);
  taro.requests.length = 0;
  assert.deepEqual(ok(await sdk.getLoginState()), state);
  assert.equal(ok(await sdk.clearLoginState()), true);
  failed(await sdk.getLoginState());
  assert.equal(taro.requests.length, 0, 'no request');
  // A second SDK on the same device shares the stored state (one key per appId).
  const again = device();
  const s2 = (await newUser(again)).state;
  assert.deepEqual(ok(await miniapp(MP).getLoginState()), s2);
});

test('one core: a user made through the mini-program logs in through v2 and v3; an admin block holds on the mini-program', async () => {
  const { username, userId, state } = await newUser(device());
  const v2user = await client(P).loginByUsername(username, PASSWORD);
  assert.equal(v2user.id, userId);
  const t = data(await v3Auth(P).signInByUsernamePassword({ username, password: PASSWORD }));
  assert.equal(claims(t.access_token).sub, userId);

  // A v3 user signs in through the mini-program too.
  const other = uniqueUsername('v3mp');
  const made = data(await v3Auth(P).signUpByUsernamePassword({ username: other, password: PASSWORD }));
  const s = ok(await device().loginByPassword({ passwordPayload: { username: other, password: PASSWORD } }));
  assert.equal(claims(s.access_token).sub, made.userId);

  data(await v3(P).updateUser({ userId, status: 'Suspended' }));
  const blocked = refusal(failed(await device().loginByPassword({ passwordPayload: { username, password: PASSWORD } })));
  assert.notEqual(blocked.apiCode, 2333, 'a blocked user is told so');
  const stale = await profileWith(state.access_token);
  assert.notEqual(stale.statusCode, 200, `the blocked user's token: ${JSON.stringify(stale)}`);
  assert.ok(stale.statusCode < 500, JSON.stringify(stale));
});

test('bad input on the mini-program paths: OAuth errors at /oidc, envelopes elsewhere, never a 5xx', async () => {
  const app = { 'x-authing-app-id': MP.appId };
  for (const form of [{}, { grant_type: 'refresh_token' }, { grant_type: 'refresh_token', refresh_token: 'nope' }, { grant_type: 'nope' }]) {
    const r = await tokenEndpoint(form, app);
    assert.equal(r.status, 400, JSON.stringify(form));
    assert.equal(typeof r.body.error, 'string');
  }
  const revoke = await fetch(`${TESSERA_URL}/oidc/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `client_id=${MP.appId}`,
  });
  assert.equal(revoke.status, 400);
  // An unknown token is answered as revoked (RFC 7009 §2.2).
  const unknown = await fetch(`${TESSERA_URL}/oidc/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `client_id=${MP.appId}&token=nope`,
  });
  assert.equal(unknown.status, 200);
  const noFile = await (await fetch(`${TESSERA_URL}/api/v2/upload?folder=avatar`, { method: 'POST', body: new FormData() })).json();
  assert.notEqual(noFile.statusCode, 200);
  assert.ok(noFile.statusCode < 500);
  const badFolder = new FormData();
  badFolder.append('file', new Blob([PNG]), 'a.png');
  const folder = await (await fetch(`${TESSERA_URL}/api/v2/upload?folder=../etc`, { method: 'POST', body: badFolder })).json();
  assert.notEqual(folder.statusCode, 200);
  const sdk = device();
  for (const [args, what] of [
    [{ passCodePayload: { passCode: '000000', phone: cnPhone() } }, 'a code never sent'],
    [{ passCodePayload: { passCode: '000000' } }, 'no phone or email'],
  ]) {
    refusal(failed(await sdk.loginByPassCode(args), what));
  }
  refusal(failed(await sdk.loginByPassword({ passwordPayload: { password: PASSWORD } }), 'no account'));
  refusal(failed(await sdk.sendSms({ phoneNumber: '', channel: 'CHANNEL_LOGIN' }), 'no phone number'));
});

test('loginByCode: a wx.login code through the WeChat mini-program identity source', async () => {
  // Runs once `/api/v3/signin-by-mobile` is served and the harness runs the WeChat mock,
  // which knows codes of the form `wx-<x>` (the same x, the same openid).
  const identifier = `wxmp-${rand(8)}`;
  const mc = v3(P);
  const idp = data(await mc.createExtIdp({ type: 'wechat', name: 'WeChat' }));
  data(
    await mc.createExtIdpConn({
      extIdpId: idp.id,
      type: 'wechat:miniprogram:default',
      identifier,
      displayName: 'Mini Program',
      fields: { appId: 'wx-miniapp-test', appSecret: 'wx-miniapp-secret' },
    })
  );
  const sdk = device();
  const who = rand(8);
  taro.setLoginCode(() => `wx-${who}`);
  const state = ok(await sdk.loginByCode({ extIdpConnidentifier: identifier, options: { scope: OFFLINE } }));
  const req = taro.requests.find(r => r.url.endsWith('/api/v3/signin-by-mobile'));
  const body = JSON.parse(req.body);
  assert.equal(body.connection, 'wechat_mini_program_code');
  assert.deepEqual(body.wechatMiniProgramCodePayload, { encryptedData: '', iv: '', code: `wx-${who}` });
  const me = ok(await sdk.getUserInfo({ withIdentities: true, withCustomData: false, withDepartmentIds: false }));
  assert.ok(me.identities.some(i => i.provider === 'wechat'), JSON.stringify(me.identities));
  // An unexpired state short-circuits: no request.
  taro.requests.length = 0;
  assert.deepEqual(ok(await sdk.loginByCode({ extIdpConnidentifier: identifier })), state);
  assert.equal(taro.requests.filter(r => r.url.endsWith('/signin-by-mobile')).length, 0);
  // The same WeChat user again is the same account.
  ok(await sdk.clearLoginState());
  const again = ok(await sdk.loginByCode({ extIdpConnidentifier: identifier }));
  assert.equal(claims(again.access_token).sub, claims(state.access_token).sub);
  // An unknown connection is refused with the envelope.
  ok(await sdk.clearLoginState());
  refusal(failed(await sdk.loginByCode({ extIdpConnidentifier: 'no-such-connection' })));
});

test('getPhone and loginByPhone: the number the user shares is read from WeChat; an existing account with it is the one logged in', async () => {
  const identifier = `wxmp-${rand(8)}`;
  const mc = v3(P);
  const idp = data(await mc.createExtIdp({ type: 'wechat', name: 'WeChat' }));
  data(
    await mc.createExtIdpConn({
      extIdpId: idp.id,
      type: 'wechat:miniprogram:default',
      identifier,
      displayName: 'Mini Program',
      fields: { appId: 'wx-miniapp-phone', appSecret: 'wx-miniapp-secret' },
    })
  );
  const phone = cnPhone();
  const sdk = device();
  // `code` comes from the getPhoneNumber button; the SDK returns `data.phone_info`.
  const info = ok(await sdk.getPhone({ extIdpConnidentifier: identifier, code: `phone-${phone}` }));
  assert.equal(info.purePhoneNumber, phone);
  assert.equal(info.countryCode, '86');
  assert.equal(info.watermark.appid, 'wx-miniapp-phone');
  const req = taro.requests.find(r => r.url.endsWith('/api/v3/get-wechat-miniprogram-phone'));
  assert.equal(req.headers['x-authing-userpool-id'], MP.userPoolId);

  // A user who registered with that phone elsewhere: loginByPhone logs them in, linked.
  const made = data(await v3(P).createUser({ phone, password: PASSWORD }));
  taro.setLoginCode(() => `wx-${rand(8)}`);
  const state = ok(
    await sdk.loginByPhone({
      extIdpConnidentifier: identifier,
      wechatMiniProgramCodeAndPhonePayload: { wxPhoneInfo: { code: `phone-${phone}` } },
    })
  );
  assert.equal(claims(state.access_token).sub, made.userId);
  const body = JSON.parse(taro.requests.filter(r => r.url.endsWith('/api/v3/signin-by-mobile')).at(-1).body);
  assert.equal(body.connection, 'wechat_mini_program_code_and_phone');
  // A phone code WeChat refuses: the SDK sees the envelope, nothing is stored.
  ok(await sdk.clearLoginState());
  refusal(failed(await sdk.getPhone({ extIdpConnidentifier: identifier, code: 'bad-phone-code' })));
});
