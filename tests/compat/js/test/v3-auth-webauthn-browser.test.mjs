// Passkeys in a real browser: Debian's Chromium driven by puppeteer-core, with a CDP
// virtual authenticator (WebAuthn.addVirtualAuthenticator: CTAP2, internal, resident keys,
// user verification). A tiny page served by this test at http://localhost:PORT (a secure
// context whose effective domain is the RP id `localhost`) calls
// navigator.credentials.create/get with the options the server handed the v3
// AuthenticationClient; the SDK then verifies the credential and signs the user in.
//
// The page's origin is not the deployment's: it is allowed because it is the origin of a
// redirect URI of the application (the core's rule for an application's own pages).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import puppeteer from 'puppeteer-core';
import { AuthenticationClient } from 'authing-node-sdk';
import { TESSERA_URL, mgmt, rand, uniqueEmail, rememberSecrets } from './helpers.mjs';
import { data, refused } from './v3-helpers.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PASSWORD = 'Passw0rd!wa';

let browser;
let site;
let siteOrigin;

before(async () => {
  site = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Passkeys</title><h1>Passkeys</h1>');
  });
  await new Promise(r => site.listen(0, '127.0.0.1', r));
  siteOrigin = `http://localhost:${site.address().port}`;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  await browser?.close();
  site?.close();
});

/** In the page: navigator.credentials.create() from JSON options, answered as JSON. */
function browserCreate(options) {
  const dec = s => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0));
  const enc = buf => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const publicKey = {
    ...options,
    challenge: dec(options.challenge),
    user: { ...options.user, id: dec(options.user.id) },
    excludeCredentials: options.excludeCredentials.map(c => ({ ...c, id: dec(c.id) })),
  };
  return navigator.credentials.create({ publicKey }).then(c => ({
    id: c.id,
    rawId: enc(c.rawId),
    type: c.type,
    response: {
      clientDataJSON: enc(c.response.clientDataJSON),
      attestationObject: enc(c.response.attestationObject),
      transports: c.response.getTransports ? c.response.getTransports() : [],
    },
    clientExtensionResults: c.getClientExtensionResults(),
  }));
}

/** In the page: navigator.credentials.get() from JSON options, answered as JSON. */
function browserGet(options) {
  const dec = s => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0));
  const enc = buf => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const publicKey = { ...options, challenge: dec(options.challenge), allowCredentials: [] };
  return navigator.credentials.get({ publicKey }).then(c => ({
    id: c.id,
    rawId: enc(c.rawId),
    type: c.type,
    response: {
      clientDataJSON: enc(c.response.clientDataJSON),
      authenticatorData: enc(c.response.authenticatorData),
      signature: enc(c.response.signature),
      userHandle: c.response.userHandle ? enc(c.response.userHandle) : null,
    },
    clientExtensionResults: c.getClientExtensionResults(),
  }));
}

test('Chromium with a virtual authenticator: register a passkey, then sign in with it', async () => {
  const app = await mgmt('oidc').applications.create({
    name: 'Passkey site',
    identifier: `pk-${rand(10)}`,
    redirectUris: [`${siteOrigin}/cb`],
    grantTypes: ['authorization_code', 'refresh_token'],
  });
  const sdk = () => new AuthenticationClient({ appId: app.id, appSecret: app.secret, appHost: TESSERA_URL });
  const auth = sdk();
  const email = uniqueEmail('wab');
  const user = data(await auth.signUpByEmailPassword({ email, password: PASSWORD }));
  const tokens = data(await auth.signInByEmailPassword({ email, password: PASSWORD }));
  rememberSecrets(tokens.access_token);
  auth.setAccessToken(tokens.access_token);

  const page = await browser.newPage();
  await page.goto(`${siteOrigin}/`);
  const cdp = await page.createCDPSession();
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });

  const { registrationOptions, ticket } = data(await auth.initRegisterOptions());
  const credential = await page.evaluate(browserCreate, registrationOptions);
  assert.equal(credential.type, 'public-key');
  assert.deepEqual(data(await auth.verifyRegister({ ticket, registrationCredential: credential, authenticatorCode: 'other' })), { verified: true });

  const anon = sdk();
  const { authenticationOptions, ticket: t2 } = data(await anon.initAuthenticationOptions());
  const assertion = await page.evaluate(browserGet, authenticationOptions);
  assert.equal(assertion.id, credential.id);
  const r = data(await anon.verifyAuthentication({ ticket: t2, authenticationCredential: assertion }));
  assert.equal(r.verified, true);
  rememberSecrets(r.tokenSet.access_token, r.tokenSet.id_token);
  assert.equal((await anon.parseIDToken(r.tokenSet.id_token)).sub, user.userId);
  anon.setAccessToken(r.tokenSet.access_token);
  assert.equal(data(await anon.getProfile({})).userId, user.userId);

  // The same assertion again: the ticket is spent.
  refused(await sdk().verifyAuthentication({ ticket: t2, authenticationCredential: assertion }));
  // A second sign-in: the virtual authenticator's counter moved on, so it is accepted.
  const again = data(await anon.initAuthenticationOptions());
  const second = await page.evaluate(browserGet, again.authenticationOptions);
  assert.equal(data(await sdk().verifyAuthentication({ ticket: again.ticket, authenticationCredential: second })).verified, true);
  await page.close();
});
