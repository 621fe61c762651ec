// QR-code login with the pool's own mobile app, through authing-node-sdk@4.0.1's
// AuthenticationClient: the browser's side (geneQrCode, checkQrCodeStatus), the app's side
// (changeQrCodeStatus as the signed-in user) and the backend's exchange of the one-time
// ticket for tokens — a login with every rule of the one core login.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pool, uniqueEmail } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';

const P = 'v3Auth';
const PASSWORD = 'Passw0rd!qr';

async function signedInApp() {
  const email = uniqueEmail('qr');
  const user = data(await v3Auth(P).signUpByEmailPassword({ email, password: PASSWORD, profile: { nickname: 'Scanner' } }));
  const t = data(await v3Auth(P).signInByEmailPassword({ email, password: PASSWORD }));
  const app = v3Auth(P);
  app.setAccessToken(t.access_token);
  return { app, user };
}

function decode(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

test('scan, confirm, poll once for the ticket, exchange it once for the confirming user\'s tokens', async () => {
  const browser = v3Auth(P);
  const { app, user } = await signedInApp();
  const qr = data(await browser.geneQrCode({ type: 'MOBILE_APP' }));
  assert.ok(qr.qrcodeId.length >= 24);
  const img = await fetch(qr.url);
  assert.equal(img.headers.get('content-type'), 'image/png');
  assert.deepEqual([...new Uint8Array(await img.arrayBuffer()).slice(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  assert.equal(data(await browser.checkQrCodeStatus({ qrcodeId: qr.qrcodeId })).status, 'PENDING');

  data(await app.changeQrCodeStatus({ qrcodeId: qr.qrcodeId, action: 'SCAN' }));
  const scanned = data(await browser.checkQrCodeStatus({ qrcodeId: qr.qrcodeId }));
  assert.equal(scanned.status, 'SCANNED');
  assert.equal(scanned.briefUserInfo.displayName, 'Scanner');
  assert.equal(scanned.ticket, undefined);

  // Another signed-in user cannot confirm a code someone else scanned.
  const other = await signedInApp();
  refused(await other.app.changeQrCodeStatus({ qrcodeId: qr.qrcodeId, action: 'CONFIRM' }));

  assert.deepEqual(data(await app.setQrCodeStatus({ qrcodeId: qr.qrcodeId, action: 'CONFIRM' })), { success: true });
  const authorized = data(await browser.getQrCodeStatus({ qrcodeId: qr.qrcodeId }));
  assert.equal(authorized.status, 'AUTHORIZED');
  assert.ok(authorized.ticket, 'the first poll after confirmation carries the ticket');
  const again = data(await browser.checkQrCodeStatus({ qrcodeId: qr.qrcodeId }));
  assert.equal(again.status, 'AUTHORIZED');
  assert.equal(again.ticket, undefined, 'the ticket is handed out once');

  const p = pool(P);
  const tokens = data(await browser.exchangeTokenSetWithQrCodeTicket({ ticket: authorized.ticket, client_id: p.appId, client_secret: p.appSecret }));
  assert.equal(decode(tokens.access_token).sub, user.userId);
  assert.equal(tokens.expire_in, tokens.expires_in);
  const id = await browser.parseIDToken(tokens.id_token);
  assert.equal(id.sub, user.userId);
  // Spent.
  refused(await browser.exchangeTokenSetWithQrCodeTicket({ ticket: authorized.ticket, client_id: p.appId, client_secret: p.appSecret }));
});

test('a confidential application must authenticate to exchange; client_secret_basic works', async () => {
  const { app } = await signedInApp();
  const browser = v3Auth(P);
  const qr = data(await browser.geneQrCode({ type: 'MOBILE_APP' }));
  data(await app.changeQrCodeStatus({ qrcodeId: qr.qrcodeId, action: 'SCAN' }));
  data(await app.changeQrCodeStatus({ qrcodeId: qr.qrcodeId, action: 'CONFIRM' }));
  const { ticket } = data(await browser.checkQrCodeStatus({ qrcodeId: qr.qrcodeId }));
  refused(await browser.exchangeTokenSetWithQrCodeTicket({ ticket }));
  refused(await browser.exchangeTokenSetWithQrCodeTicket({ ticket, client_id: pool(P).appId, client_secret: 'wrong' }));
  const basic = v3Auth(P, { tokenEndPointAuthMethod: 'client_secret_basic' });
  assert.ok(data(await basic.exchangeTokenSetWithQrCodeTicket({ ticket })).access_token);
});

test('cancel, steps out of order, unknown codes, no token, and a user blocked before the exchange', async () => {
  const browser = v3Auth(P);
  const { app, user } = await signedInApp();
  const qr = data(await browser.geneQrCode({ type: 'MOBILE_APP' }));
  refused(await app.changeQrCodeStatus({ qrcodeId: qr.qrcodeId, action: 'CONFIRM' }), { statusCode: 400 });
  data(await app.changeQrCodeStatus({ qrcodeId: qr.qrcodeId, action: 'SCAN' }));
  data(await app.changeQrCodeStatus({ qrcodeId: qr.qrcodeId, action: 'CANCEL' }));
  assert.equal(data(await browser.checkQrCodeStatus({ qrcodeId: qr.qrcodeId })).status, 'CANCELLED');
  refused(await app.changeQrCodeStatus({ qrcodeId: qr.qrcodeId, action: 'CONFIRM' }));
  refused(await browser.checkQrCodeStatus({ qrcodeId: 'no-such-code' }), { statusCode: 404 });
  refused(await v3Auth(P).changeQrCodeStatus({ qrcodeId: qr.qrcodeId, action: 'SCAN' }));
  refused(await app.changeQrCodeStatus({ qrcodeId: qr.qrcodeId, action: 'NOPE' }), { statusCode: 400 });
  refused(await browser.geneQrCode({ type: 'WECHAT_MINIPROGRAM' }));
  refused(await browser.geneQrCode({ type: 'NOPE' }));

  // Confirmed, then the administrator blocks the user: the exchange is a login, refused.
  const qr2 = data(await browser.geneQrCode({ type: 'MOBILE_APP' }));
  data(await app.changeQrCodeStatus({ qrcodeId: qr2.qrcodeId, action: 'SCAN' }));
  data(await app.changeQrCodeStatus({ qrcodeId: qr2.qrcodeId, action: 'CONFIRM' }));
  const { ticket } = data(await browser.checkQrCodeStatus({ qrcodeId: qr2.qrcodeId }));
  data(await v3(P).updateUser({ userId: user.userId, status: 'Suspended' }));
  const p = pool(P);
  const r = refused(await browser.exchangeTokenSetWithQrCodeTicket({ ticket, client_id: p.appId, client_secret: p.appSecret }));
  assert.notEqual(r.apiCode, 2333);
});

test('a code of one pool is unknown to another pool', async () => {
  const qr = data(await v3Auth(P).geneQrCode({ type: 'MOBILE_APP' }));
  refused(await v3Auth('main').checkQrCodeStatus({ qrcodeId: qr.qrcodeId }), { statusCode: 404 });
});
