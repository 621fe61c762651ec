// v3 Messaging: email templates (getEmailTemplates, updateEmailTemplate, previewEmailTemplate)
// through authing-node-sdk@4.0.1 on the 'v3Templates' pool. The effect is proven on the wire:
// a customized, enabled template words the email the v2 AuthenticationClient's sendEmail
// causes (read from the harness's mailbox), and switching it off brings the built-in text
// back. Other pools ('v3Sign', read only) keep their defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, pool, uniqueEmail, withMail, rand } from './helpers.mjs';
import { v3, data, refused, raw } from './v3-helpers.mjs';

const P = 'v3Templates';
const mc = v3(P);

const TYPES = [
  'WELCOME_EMAIL', 'FIRST_CREATED_USER', 'REGISTER_VERIFY_CODE', 'LOGIN_VERIFY_CODE',
  'MFA_VERIFY_CODE', 'INFORMATION_COMPLETION_VERIFY_CODE', 'FIRST_EMAIL_LOGIN_VERIFY',
  'CONSOLE_CONDUCTED_VERIFY', 'USER_PASSWORD_UPDATE_REMIND',
  'ADMIN_RESET_USER_PASSWORD_NOTIFICATION', 'USER_PASSWORD_RESET_NOTIFICATION',
  'RESET_PASSWORD_VERIFY_CODE', 'SELF_UNLOCKING_VERIFY_CODE', 'EMAIL_BIND_VERIFY_CODE',
  'EMAIL_UNBIND_VERIFY_CODE',
];
const BUILTIN_REGISTER_SUBJECT = '注册验证码 / Registration code';

async function templates(c = mc) {
  return data(await c.getEmailTemplates());
}
async function template(type, c = mc) {
  return (await templates(c)).templates.find(t => t.type === type);
}

test('getEmailTemplates: every type once, built-in defaults not customized, and categories', async () => {
  const d = await templates(v3('v3Sign'));
  assert.deepEqual(d.templates.map(t => t.type), TYPES);
  for (const t of d.templates) {
    assert.equal(t.customizeEnabled, false, t.type);
    assert.equal(t.tplEngine, 'handlebar');
    for (const k of ['name', 'subject', 'sender', 'content']) assert.equal(typeof t[k], 'string', `${t.type}.${k}`);
    assert.ok(t.subject.length > 0 && t.content.length > 0, t.type);
  }
  assert.match(d.templates.find(t => t.type === 'LOGIN_VERIFY_CODE').content, /\{\{code\}\}/);
  assert.ok(d.categories.length >= 1);
  for (const c of d.categories) {
    for (const k of ['title', 'titleEn', 'desc', 'descEn']) assert.ok(typeof c[k] === 'string' && c[k].length > 0, k);
  }
});

test('a customized REGISTER_VERIFY_CODE template words the registration email; disabled, the built-in text returns', async () => {
  const tag = rand(6);
  const body = {
    type: 'REGISTER_VERIFY_CODE',
    customizeEnabled: true,
    name: `Register ${tag}`,
    subject: `Join {{userPoolName}} ${tag}`,
    sender: 'Tessera Team',
    content: '<p>Code {{code}} for {{email}}, valid {{expiresIn}} minutes.{{unknown}}</p>',
    expiresIn: 600,
    redirectTo: 'https://example.com/done',
    tplEngine: 'handlebar',
  };
  const saved = data(await mc.updateEmailTemplate(body));
  assert.deepEqual(saved, body);
  // Read back through v3.
  assert.deepEqual(await template('REGISTER_VERIFY_CODE'), body);

  // The effect: the email sendEmail causes is the template, with the code substituted.
  const email = uniqueEmail('tpl');
  const c = client(P);
  const { code, mail } = await withMail(email, () => c.sendEmail(email, 'REGISTER_VERIFY_CODE'));
  assert.equal(mail.subject, `Join ${pool(P).name} ${tag}`);
  assert.match(code, /^\d{4,8}$/);
  assert.match(mail.text, new RegExp(`^<p>Code ${code} for ${email.replace(/[.+]/g, '\\$&')}, valid \\d+ minutes\\.</p>\\s*$`));
  // And the substituted code is the one the pool checks.
  const user = await c.registerByEmailCode(email, code);
  assert.equal(user.email, email);

  // Another type of the same pool is not customized and keeps the built-in words.
  const other = uniqueEmail('tplbind');
  const bind = await withMail(other, () => c.sendEmail(other, 'EMAIL_BIND_VERIFY_CODE'));
  assert.doesNotMatch(bind.mail.subject, new RegExp(tag));

  // Switched off: stored as given, and the built-in text is sent again.
  const off = data(await mc.updateEmailTemplate({ ...body, customizeEnabled: false }));
  assert.equal(off.customizeEnabled, false);
  assert.equal((await template('REGISTER_VERIFY_CODE')).customizeEnabled, false);
  assert.equal((await template('REGISTER_VERIFY_CODE')).subject, body.subject);
  const again = uniqueEmail('tploff');
  const builtin = await withMail(again, () => c.sendEmail(again, 'REGISTER_VERIFY_CODE'));
  assert.equal(builtin.mail.subject, BUILTIN_REGISTER_SUBJECT);
  assert.match(builtin.mail.text, new RegExp(`Your verification code is ${builtin.code}\\.`));

  // Another pool never saw the change.
  assert.equal((await template('REGISTER_VERIFY_CODE', v3('v3Sign'))).name === body.name, false);
});

test('values are HTML-escaped and templates run no code', async () => {
  const body = {
    type: 'LOGIN_VERIFY_CODE',
    customizeEnabled: true,
    name: 'Login',
    subject: 'Login {{code}}',
    sender: '',
    content: '{{#if code}}x{{/if}}<b>{{code}}</b> {{constructor}} {{userPoolName.length}}',
  };
  data(await mc.updateEmailTemplate(body));
  const user = uniqueEmail('tplin');
  const c = client(P);
  // A registered address, so the login code email is a real one.
  const reg = await withMail(user, () => c.sendEmail(user, 'REGISTER_VERIFY_CODE'));
  await c.registerByEmailCode(user, reg.code);
  const { code, mail } = await withMail(user, () => c.sendEmail(user, 'LOGIN_VERIFY_CODE'));
  assert.equal(mail.subject, `Login ${code}`);
  assert.equal(mail.text.trim(), `x<b>${code}</b>  `.trim());
  const logged = await c.loginByEmailCode(user, code);
  assert.equal(logged.email, user);
  data(await mc.updateEmailTemplate({ ...body, customizeEnabled: false }));
});

test('previewEmailTemplate renders sample values: the text given, else the stored template', async () => {
  const p = data(await mc.previewEmailTemplate({
    type: 'RESET_PASSWORD_VERIFY_CODE',
    subject: 'Reset for {{userPoolName}}',
    content: '<i>{{code}}</i> {{expiresIn}} min, to {{email}} <{{nothing}}>',
    sender: 'Ops',
    expiresIn: 120,
    tplEngine: 'handlebar',
  }));
  assert.deepEqual(p, {
    subject: `Reset for ${pool(P).name}`,
    content: '<i>123456</i> 2 min, to user@example.com <>',
    sender: 'Ops',
  });
  // Nothing was stored by a preview.
  assert.equal((await template('RESET_PASSWORD_VERIFY_CODE')).customizeEnabled, false);
  assert.notEqual((await template('RESET_PASSWORD_VERIFY_CODE')).subject, 'Reset for {{userPoolName}}');
  // Without text, the stored template (here the built-in default) is rendered.
  const d = data(await mc.previewEmailTemplate({ type: 'RESET_PASSWORD_VERIFY_CODE' }));
  assert.match(d.content, /123456/);
  assert.doesNotMatch(d.content, /\{\{/);
  assert.equal(typeof d.subject, 'string');
});

test('bad input answers 400 with a message and writes nothing', async () => {
  const good = {
    type: 'MFA_VERIFY_CODE', customizeEnabled: true, name: 'n', subject: 's', sender: 'x', content: 'c {{code}}',
  };
  const before = await templates();
  const bad = [
    { ...good, type: 'NOT_A_TYPE' },
    { ...good, type: 'mfa_verify_code' },
    { ...good, tplEngine: 'ejs' },
    { ...good, tplEngine: 'mustache' },
    { ...good, customizeEnabled: 'yes' },
    { ...good, expiresIn: -5 },
    { ...good, expiresIn: 'ten' },
    { ...good, content: '' },
    { ...good, subject: '   ' },
    { ...good, subject: 'a\r\nBcc: evil@example.com' },
    { ...good, content: 'x'.repeat(70 * 1024) },
  ];
  for (const b of bad) {
    refused(await mc.updateEmailTemplate(b), { statusCode: 400 });
  }
  for (const missing of ['type', 'customizeEnabled', 'name', 'subject', 'sender', 'content']) {
    const b = { ...good };
    delete b[missing];
    refused(await mc.updateEmailTemplate(b), { statusCode: 400, message: new RegExp(missing) });
  }
  assert.deepEqual(await templates(), before);
  refused(await mc.previewEmailTemplate({ type: 'NOPE' }), { statusCode: 400 });
  refused(await mc.previewEmailTemplate({ type: 'MFA_VERIFY_CODE', tplEngine: 'ejs' }), { statusCode: 400 });
  refused(await mc.previewEmailTemplate({}), { statusCode: 400 });
  // Unsigned: not an administrator of any pool.
  const r = await raw('/api/v3/update-email-template', { body: JSON.stringify(good) });
  assert.notEqual(r.statusCode, 200);
  assert.deepEqual(await templates(), before);
});
