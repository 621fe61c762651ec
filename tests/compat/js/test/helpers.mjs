// Shared helpers for the compatibility suite. The Rust harness (tests/compat/src/lib.rs)
// sets TESSERA_URL, COMPAT_FIXTURES and MAILBOX_URL before running `node --test`.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { randomBytes, randomInt } from 'node:crypto';
import { AuthenticationClient, ManagementClient } from 'authing-js-sdk';

function env(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(
      `${name} is not set: run this suite through \`cargo test -p tessera-compat\``
    );
  }
  return v;
}

export const TESSERA_URL = env('TESSERA_URL');
export const MAILBOX_URL = env('MAILBOX_URL');
export const fixtures = JSON.parse(readFileSync(env('COMPAT_FIXTURES'), 'utf8'));

/** The pool entry `{name, userPoolId, appId, appHost}` of a seeded pool. */
export function pool(name = 'main') {
  const p = fixtures.pools[name];
  if (!p) throw new Error(`no seeded pool named ${name}`);
  return p;
}

/**
 * An AuthenticationClient for a seeded pool's app, exactly as a user would build one:
 * `{appId, appHost}` plus any extra options. Password encryption stays at its default
 * (RSA with the key from /api/v2/.well-known): never pass encryptFunction.
 */
export function client(poolName = 'main', extra = {}) {
  const p = pool(poolName);
  return new AuthenticationClient({ appId: p.appId, appHost: p.appHost, ...extra });
}

// ---------------------------------------------------------------------------------------
// Unique identifiers, so tests are independent and can run concurrently.

export function rand(n = 8) {
  return randomBytes(16).toString('hex').slice(0, n);
}
export function uniqueEmail(prefix = 'u') {
  return `${prefix}-${rand(10)}@example.com`;
}
export function uniqueUsername(prefix = 'user') {
  return `${prefix}_${rand(10)}`;
}
/** A Chinese mobile number: 11 digits starting with 13. */
export function cnPhone() {
  let s = '13';
  for (let i = 0; i < 9; i++) s += randomInt(10);
  return s;
}
/** A UK mobile number without the trunk 0, to go with phoneCountryCode '+44'. */
export function ukPhone() {
  let s = '7700';
  for (let i = 0; i < 6; i++) s += randomInt(10);
  return s;
}
/** A client IP of its own for tests whose rules count per IP. */
export function uniqueIp() {
  return `10.${randomInt(1, 255)}.${randomInt(1, 255)}.${randomInt(1, 255)}`;
}

/** The resend interval of the main pool's verification codes, plus a margin, in ms. */
export const RESEND_WAIT_MS = (fixtures.settings.verifyCodeResendInterval ?? 3) * 1000 + 300;
export const sleep = ms => new Promise(r => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// The harness mailbox: codes sent by email (SMTP sink), SMS (webhook), push-login requests
// (webhook) and captchas.

async function mailboxGet(path) {
  const res = await fetch(`${MAILBOX_URL}${path}`);
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`mailbox ${path}: HTTP ${res.status}`);
  return res.json();
}

export async function mailboxSeq() {
  return (await mailboxGet('/seq')).seq;
}

async function poll(path, what, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await mailboxGet(path);
    if (v) return v;
    if (Date.now() > deadline) {
      throw new Error(`no ${what} arrived within ${timeoutMs} ms (mailbox ${path})`);
    }
    await sleep(50);
  }
}

/** Waits for an email to `to` newer than `since`: `{subject, text, code, to, from}`. */
export function waitMail(to, since = 0) {
  return poll(`/mail/last?to=${encodeURIComponent(to)}&since=${since}`, `email to ${to}`);
}

/** Waits for an SMS to `phone` (and country code, if given) newer than `since`. */
export function waitSms(phone, phoneCountryCode, since = 0) {
  let q = `/sms/last?phone=${encodeURIComponent(phone)}&since=${since}`;
  if (phoneCountryCode) q += `&phoneCountryCode=${encodeURIComponent(phoneCountryCode)}`;
  return poll(q, `SMS to ${phoneCountryCode || ''}${phone}`);
}

/** Push-login requests the push webhook received newer than `since` (for `userId`, if given). */
export async function pushesSince(since = 0, userId) {
  let q = `/push/all?since=${since}`;
  if (userId) q += `&userId=${encodeURIComponent(userId)}`;
  return mailboxGet(q);
}

/** Waits for a push-login request to `userId` newer than `since`. */
export async function waitPush(userId, since = 0, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await pushesSince(since, userId);
    if (all.length) return all[all.length - 1];
    if (Date.now() > deadline) throw new Error(`no push to ${userId} arrived within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** The answer of the newest captcha issued for `key` (`<poolId>:<client ip>`). */
export function captchaAnswer(key, since = 0) {
  return poll(`/captcha/last?key=${encodeURIComponent(key)}&since=${since}`, `captcha for ${key}`);
}

/**
 * Runs `send` (an SDK call that sends a code by email to `to`) and returns
 * `{result, code, mail}` with the code from the email it caused.
 */
export async function withMail(to, send) {
  const since = await mailboxSeq();
  const result = await send();
  const mail = await waitMail(to, since);
  assert.ok(mail.code, `the email to ${to} holds no 4–8 digit code: ${JSON.stringify(mail.text)}`);
  return { result, code: mail.code, mail };
}

/** Runs `send` (an SDK call that sends an SMS to `phone`) and returns `{result, code, sms}`. */
export async function withSms(phone, phoneCountryCode, send) {
  const since = await mailboxSeq();
  const result = await send();
  const sms = await waitSms(phone, phoneCountryCode, since);
  return { result, code: sms.code, sms };
}

/** Sends an SMS code through the SDK and returns it. */
export async function smsCode(c, phone, phoneCountryCode) {
  const { code } = await withSms(phone, phoneCountryCode, () =>
    c.sendSmsCode(phone, phoneCountryCode)
  );
  return code;
}

/** Sends an email code through the SDK (`sendEmail(email, scene)`) and returns it. */
export async function emailCode(c, email, scene) {
  const { code } = await withMail(email, () => c.sendEmail(email, scene));
  return code;
}

/** A code guaranteed to differ from `code`. */
export function wrongCode(code) {
  const last = code.slice(-1);
  return code.slice(0, -1) + (last === '9' ? '0' : String(Number(last) + 1));
}

// ---------------------------------------------------------------------------------------
// Errors

/**
 * Awaits a promise that must reject with an Authing error (the SDK throws a plain object
 * `{code, message, data}`). `codes` is one code, a list of allowed codes, or 'numeric' for
 * any numeric code other than 200. Returns the error.
 */
export async function rejectsWith(promise, codes, note = '') {
  let value;
  try {
    value = await promise;
  } catch (e) {
    const shown = JSON.stringify(e, Object.getOwnPropertyNames(e ?? {})).slice(0, 400);
    assert.equal(
      typeof e?.code,
      'number',
      `${note} expected an Authing error with a numeric code, got ${shown}`
    );
    if (codes === 'numeric') {
      assert.notEqual(e.code, 200, `${note} an error with code 200: ${shown}`);
    } else {
      const allowed = Array.isArray(codes) ? codes : [codes];
      assert.ok(
        allowed.includes(e.code),
        `${note} expected code ${allowed.join(' or ')}, got ${e.code}: ${shown}`
      );
    }
    assert.equal(typeof e.message, 'string', `${note} the error has no message: ${shown}`);
    return e;
  }
  assert.fail(
    `${note} expected a rejection with code ${codes}, but it resolved with ${JSON.stringify(value)?.slice(0, 300)}`
  );
}

// ---------------------------------------------------------------------------------------
// Users and tokens

export const PASSWORD = 'passw0rd';

/** Registers a fresh email user with forceLogin; returns `{client, user, email, password}`. */
export async function newEmailUser(poolName = 'main', opts = {}) {
  const c = client(poolName);
  const email = uniqueEmail(opts.prefix || 'user');
  const password = opts.password || PASSWORD;
  const user = await c.registerByEmail(email, password, opts.profile || null, {
    forceLogin: true,
    ...(opts.options || {})
  });
  assert.ok(user.token, 'registerByEmail with forceLogin returns a token');
  return { client: c, user, email, password, token: user.token };
}

/** Registers a fresh phone user (code from the SMS webhook), logged in. */
export async function newPhoneUser(poolName = 'main', opts = {}) {
  const c = client(poolName);
  const phone = opts.phone || cnPhone();
  const cc = opts.phoneCountryCode;
  const code = await smsCode(c, phone, cc);
  const user = await c.registerByPhoneCode(phone, code, opts.password ?? null, null, {
    forceLogin: true,
    ...(cc ? { phoneCountryCode: cc } : {})
  });
  assert.ok(user.token, 'registerByPhoneCode with forceLogin returns a token');
  return { client: c, user, phone, phoneCountryCode: cc, password: opts.password, token: user.token };
}

/** The payload of a JWT, unverified. */
export function jwtPayload(token) {
  const part = token.split('.')[1];
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/** A token with the same header and payload but a different signature. */
export function forge(token) {
  const [h, p, s] = token.split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[0] ^= 0xff;
  sig[sig.length - 1] ^= 0x55;
  return `${h}.${p}.${sig.toString('base64url')}`;
}

/** A raw GraphQL request to {appHost}/graphql/v2 as the SDK sends it. */
export async function rawGraphql(query, variables, { poolName = 'main', token, lang } = {}) {
  const p = pool(poolName);
  const headers = {
    'content-type': 'application/json',
    'x-authing-app-id': p.appId,
    'x-authing-request-from': 'sdk',
    'x-authing-sdk-version': 'js:4.21.8',
    'x-authing-lang': lang || 'zh-CN'
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${p.appHost}/graphql/v2`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables })
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = { unparsable: text.slice(0, 300) };
  }
  return { status: res.status, body };
}

/** Asserts a raw GraphQL answer is an Authing error: HTTP 200, errors[0].message.code numeric. */
export function assertGraphqlError(res, note = '') {
  const shown = JSON.stringify(res.body).slice(0, 400);
  assert.equal(res.status, 200, `${note} GraphQL errors must come with HTTP 200: ${shown}`);
  assert.ok(Array.isArray(res.body.errors) && res.body.errors.length > 0, `${note} no errors: ${shown}`);
  const m = res.body.errors[0].message;
  assert.equal(typeof m, 'object', `${note} errors[0].message must be an object: ${shown}`);
  assert.equal(typeof m.code, 'number', `${note} errors[0].message.code must be a number: ${shown}`);
  assert.notEqual(m.code, 200, shown);
  assert.equal(typeof m.message, 'string', shown);
  return m;
}

export const HAS_CJK = /[\u3400-\u9fff]/;

// ---------------------------------------------------------------------------------------
// ManagementClient: built exactly as seed 000 shows, `{userPoolId, secret, host}`.

/** A ManagementClient for a seeded pool (its secret comes from the fixtures). */
export function mgmt(poolName = 'mgmtUsers', extra = {}) {
  const p = pool(poolName);
  return new ManagementClient({ userPoolId: p.userPoolId, secret: p.secret, host: TESSERA_URL, ...extra });
}

/**
 * Records protocol secrets the server handed out (OIDC codes and tokens), or personal numbers
 * a test sent (principal authentication), a line each, for
 * the harness's check that none of them reaches the server's log.
 */
export function rememberSecrets(...secrets) {
  const path = process.env.COMPAT_SECRETS;
  if (!path) return;
  const lines = secrets.filter(s => typeof s === 'string' && s.length >= 16);
  if (lines.length) appendFileSync(path, lines.join('\n') + '\n');
}
