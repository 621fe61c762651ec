// WebAuthn (passkeys) through the v3 AuthenticationClient (authing-node-sdk@4.0.1, issue 14):
// initRegisterOptions / verifyRegister for a signed-in user, initAuthenticationOptions /
// verifyAuthentication for a usernameless sign-in whose token set is then used, and the
// refusals over the wire. The authenticator is software, written here with node:crypto: a
// P-256 key, authenticator data, a CBOR attestation object (fmt none), client data and
// DER ECDSA assertion signatures.
//
// The compat server's public URL is http://127.0.0.1:PORT, a loopback address: the core
// takes `localhost` as the RP id there (an IP address is never an RP id) and
// http://localhost:PORT as the deployment's origin, which is what a browser on that page
// would report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { TESSERA_URL, pool, uniqueEmail, rememberSecrets } from './helpers.mjs';
import { data, refused, v3Auth } from './v3-helpers.mjs';

const P = 'v3Auth';
const PASSWORD = 'Passw0rd!wa';
const ORIGIN = `http://localhost:${new URL(TESSERA_URL).port}`;
const RP_ID = 'localhost';

const b64u = buf => Buffer.from(buf).toString('base64url');
const sha256 = buf => createHash('sha256').update(buf).digest();

// --- a minimal CBOR writer (definite lengths, as CTAP2) -----------------------------------
function head(major, n) {
  const m = major << 5;
  if (n < 24) return Buffer.from([m | n]);
  if (n < 0x100) return Buffer.from([m | 24, n]);
  if (n < 0x10000) { const b = Buffer.alloc(3); b[0] = m | 25; b.writeUInt16BE(n, 1); return b; }
  const b = Buffer.alloc(5); b[0] = m | 26; b.writeUInt32BE(n, 1); return b;
}
const cInt = i => (i >= 0 ? head(0, i) : head(1, -1 - i));
const cBytes = b => Buffer.concat([head(2, b.length), Buffer.from(b)]);
const cText = s => { const b = Buffer.from(s, 'utf8'); return Buffer.concat([head(3, b.length), b]); };
const cMap = entries => Buffer.concat([head(5, entries.length), ...entries.flat()]);

/** A software authenticator holding one discoverable P-256 credential. */
class SoftAuthenticator {
  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    this.jwk = publicKey.export({ format: 'jwk' });
    this.credentialId = randomBytes(32);
    this.counter = 0;
    this.userHandle = null;
  }

  coseKey() {
    return cMap([
      [cInt(1), cInt(2)], // kty EC2
      [cInt(3), cInt(-7)], // alg ES256
      [cInt(-1), cInt(1)], // crv P-256
      [cInt(-2), cBytes(Buffer.from(this.jwk.x, 'base64url'))],
      [cInt(-3), cBytes(Buffer.from(this.jwk.y, 'base64url'))],
    ]);
  }

  static clientData(type, challenge, origin) {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** navigator.credentials.create() with the server's options; `t` tampers. */
  create(options, t = {}) {
    this.userHandle = Buffer.from(options.user.id, 'base64url');
    const cd = SoftAuthenticator.clientData(t.type ?? 'webauthn.create', t.challenge ?? options.challenge, t.origin ?? ORIGIN);
    const flags = (t.flags ?? 0x05) | 0x40; // UP, UV, AT
    const count = Buffer.alloc(4); count.writeUInt32BE(this.counter);
    const idLen = Buffer.alloc(2); idLen.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      sha256(t.rpId ?? options.rp.id), Buffer.from([flags]), count,
      Buffer.alloc(16), idLen, this.credentialId, this.coseKey(),
    ]);
    const attestationObject = cMap([
      [cText('fmt'), cText('none')],
      [cText('attStmt'), cMap([])],
      [cText('authData'), cBytes(authData)],
    ]);
    return {
      id: b64u(this.credentialId),
      rawId: b64u(this.credentialId),
      type: 'public-key',
      response: { clientDataJSON: b64u(cd), attestationObject: b64u(attestationObject), transports: ['internal'] },
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get() with the server's options; the counter moves by `step`. */
  get(options, t = {}) {
    this.counter += t.step ?? 1;
    const cd = SoftAuthenticator.clientData(t.type ?? 'webauthn.get', t.challenge ?? options.challenge, t.origin ?? ORIGIN);
    const count = Buffer.alloc(4); count.writeUInt32BE(this.counter);
    const authData = Buffer.concat([sha256(t.rpId ?? options.rpId), Buffer.from([t.flags ?? 0x05]), count]);
    let signature = sign('sha256', Buffer.concat([authData, sha256(cd)]), this.privateKey);
    if (t.badSignature) { signature = Buffer.from(signature); signature[8] ^= 0x5a; }
    const id = t.credentialId ?? this.credentialId;
    return {
      id: b64u(id),
      rawId: b64u(id),
      type: 'public-key',
      response: {
        clientDataJSON: b64u(cd),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        userHandle: b64u(t.userHandle ?? this.userHandle),
      },
      clientExtensionResults: {},
    };
  }
}

/** A new user of the pool, signed in: the client holding their access token, and the id. */
async function signedIn() {
  const auth = v3Auth(P);
  const email = uniqueEmail('wa');
  const user = data(await auth.signUpByEmailPassword({ email, password: PASSWORD }));
  const tokens = data(await auth.signInByEmailPassword({ email, password: PASSWORD }));
  rememberSecrets(tokens.access_token);
  auth.setAccessToken(tokens.access_token);
  return { auth, userId: user.userId, email, token: tokens.access_token };
}

/** Registers a passkey for the signed-in user; returns the authenticator. */
async function registered(auth) {
  const key = new SoftAuthenticator();
  const { registrationOptions, ticket } = data(await auth.initRegisterOptions());
  rememberSecrets(ticket);
  const res = data(await auth.verifyRegister({
    ticket, registrationCredential: key.create(registrationOptions), authenticatorCode: 'fingerprint',
  }));
  assert.deepEqual(res, { verified: true });
  return key;
}

/** One sign-in attempt with the authenticator's credential (tampered by `t`). */
async function signInWith(key, t = {}) {
  const anon = v3Auth(P);
  const { authenticationOptions, ticket } = data(await anon.initAuthenticationOptions());
  rememberSecrets(ticket);
  const credential = key.get(authenticationOptions, t);
  const res = await anon.verifyAuthentication({ ticket, authenticationCredential: credential });
  return { res, ticket, credential, anon };
}

test('a signed-in user registers a passkey, then signs in with it and uses the token set', async () => {
  const { auth, userId, email } = await signedIn();
  const { registrationOptions: o, ticket } = data(await auth.initRegisterOptions());
  assert.equal(typeof ticket, 'string');
  assert.equal(o.rp.id, RP_ID);
  assert.equal(typeof o.rp.name, 'string');
  assert.equal(Buffer.from(o.challenge, 'base64url').length, 32);
  assert.equal(o.user.name, email);
  assert.notEqual(Buffer.from(o.user.id, 'base64url').toString(), userId, 'the user handle is not the user id');
  assert.deepEqual(o.pubKeyCredParams.map(p => p.alg), [-7, -257]);
  assert.ok(o.pubKeyCredParams.every(p => p.type === 'public-key'));
  assert.equal(o.attestation, 'none');
  assert.deepEqual(o.excludeCredentials, []);
  assert.ok(o.timeout > 0);

  const key = new SoftAuthenticator();
  const credential = key.create(o);
  assert.deepEqual(data(await auth.verifyRegister({ ticket, registrationCredential: credential, authenticatorCode: 'face' })), { verified: true });
  // The ticket is single-use.
  refused(await auth.verifyRegister({ ticket, registrationCredential: credential }), { statusCode: 400, apiCode: 2231 });
  // The next options exclude the credential and keep the handle.
  const next = data(await auth.initRegisterOptions()).registrationOptions;
  assert.equal(next.user.id, o.user.id);
  assert.deepEqual(next.excludeCredentials.map(c => c.id), [credential.id]);

  // Usernameless sign-in through the application.
  const anon = v3Auth(P);
  const { authenticationOptions: ao, ticket: t2 } = data(await anon.initAuthenticationOptions());
  assert.equal(ao.rpId, RP_ID);
  assert.deepEqual(ao.allowCredentials, []);
  assert.equal(Buffer.from(ao.challenge, 'base64url').length, 32);
  const assertion = key.get(ao);
  const r = data(await anon.verifyAuthentication({ ticket: t2, authenticationCredential: assertion }));
  assert.equal(r.verified, true);
  const ts = r.tokenSet;
  rememberSecrets(ts.access_token, ts.id_token);
  assert.equal(ts.token_type, 'Bearer');
  assert.ok(ts.expires_in > 0);
  const idClaims = await anon.parseIDToken(ts.id_token);
  assert.equal(idClaims.sub, userId);
  assert.equal(idClaims.aud, pool(P).appId);
  const at = await anon.parseAccessToken(ts.access_token);
  assert.equal(at.sub, userId);
  // RFC 8176: proof of possession of a key, and a user presence test.
  assert.deepEqual(idClaims.amr, ['hwk', 'user']);
  // The token set is the user's: the profile and /oidc/me.
  anon.setAccessToken(ts.access_token);
  assert.equal(data(await anon.getProfile({})).userId, userId);
  const me = await anon.getUserInfoByAccessToken(ts.access_token);
  assert.equal(me.sub, userId);
  // The same ticket and assertion again: refused.
  refused(await v3Auth(P).verifyAuthentication({ ticket: t2, authenticationCredential: assertion }), { statusCode: 400, apiCode: 2231 });
});

test('registration needs the user\'s token; a forged registration is refused', async () => {
  const anon = v3Auth(P);
  refused(await anon.initRegisterOptions(), { statusCode: 401, apiCode: 2020 });
  refused(await anon.verifyRegister({ ticket: 'x', registrationCredential: new SoftAuthenticator().create({ challenge: 'AA', rp: { id: RP_ID }, user: { id: 'AA' } }) }), { statusCode: 401 });

  const { auth, token } = await signedIn();
  for (const [t, message] of [
    [{ challenge: b64u(randomBytes(32)) }, /challenge/],
    [{ origin: 'https://evil.example' }, /origin/],
    [{ rpId: 'evil.example' }, /relying party/],
    [{ type: 'webauthn.get' }, /type/],
    [{ flags: 0x00 }, /presence/],
  ]) {
    const { registrationOptions, ticket } = data(await auth.initRegisterOptions());
    const registrationCredential = new SoftAuthenticator().create(registrationOptions, t);
    const r = await fetch(`${TESSERA_URL}/api/v3/webauthn/registration`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', 'x-authing-app-id': pool(P).appId, 'x-authing-lang': 'en-US',
        authorization: token,
      },
      body: JSON.stringify({ ticket, registrationCredential }),
    });
    assert.equal(r.status, 200);
    refused(await r.json(), { statusCode: 400, apiCode: 2231, message });
  }
  // A user's ticket is not another user's.
  const other = await signedIn();
  const { registrationOptions, ticket } = data(await auth.initRegisterOptions());
  refused(await other.auth.verifyRegister({ ticket, registrationCredential: new SoftAuthenticator().create(registrationOptions) }), { statusCode: 400 });
});

test('sign-in refusals over the wire: replay, challenge, origin, RP id, signature, counter, another user\'s credential', async () => {
  const alice = await signedIn();
  const key = await registered(alice.auth);
  const bob = await signedIn();
  const bobKey = await registered(bob.auth);

  const ok = await signInWith(key);
  assert.equal(data(ok.res).verified, true);
  refused(await v3Auth(P).verifyAuthentication({ ticket: ok.ticket, authenticationCredential: ok.credential }), { apiCode: 2231 });

  refused((await signInWith(key, { challenge: b64u(randomBytes(32)) })).res, { statusCode: 400, apiCode: 2231 });
  refused((await signInWith(key, { origin: 'http://localhost:1' })).res, { statusCode: 400, apiCode: 2231 });
  refused((await signInWith(key, { rpId: 'evil.example' })).res, { statusCode: 400, apiCode: 2231 });
  refused((await signInWith(key, { flags: 0x04 })).res, { statusCode: 400, apiCode: 2231 });
  refused((await signInWith(key, { badSignature: true })).res, { statusCode: 403, apiCode: 2231 });
  // Bob's credential id presented by Alice's authenticator: with her handle, or with his.
  refused((await signInWith(key, { credentialId: bobKey.credentialId })).res, { statusCode: 403 });
  refused((await signInWith(key, { credentialId: bobKey.credentialId, userHandle: bobKey.userHandle })).res, { statusCode: 403 });
  // An unknown credential.
  refused((await signInWith(key, { credentialId: randomBytes(16) })).res, { statusCode: 403 });

  // The counter: a cloned authenticator replaying an older count is refused.
  assert.equal(data((await signInWith(key, { step: 5 })).res).verified, true);
  key.counter -= 3;
  const clone = await signInWith(key, { step: 1 });
  const r = refused(clone.res, { statusCode: 403, apiCode: 2231 });
  assert.match(r.message, /[\u4e00-\u9fff]/, 'zh-CN by default');
  // The genuine authenticator, ahead of the clone, still signs in.
  key.counter += 10;
  assert.equal(data((await signInWith(key)).res).verified, true);
  // Bob's own passkey signs Bob in.
  const b = data((await signInWith(bobKey)).res);
  assert.equal((await v3Auth(P).parseIDToken(b.tokenSet.id_token)).sub, bob.userId);
});

test('sign-in options need the application', async () => {
  const r = await fetch(`${TESSERA_URL}/api/v3/webauthn/authentication`, { headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 200);
  refused(await r.json());
});
