// Tenant import from a spreadsheet through the v3 ManagementClient (`importTenant`,
// `importTenantHistory`, `importTenantNotifyUser`, `sendEmailBatch`, `sendSmsBatch`,
// `v3-wire.md` "Tenants"). The test builds a real .xlsx (a stored zip with inline-string
// cells), uploads it through `/api/v2/upload?folder=excel`, imports it, and reads the tenants,
// their members and admins back through v3; the history and the users the import created;
// email (SMTP sink) and SMS (webhook) notices arrive and are stamped on the list. A URL that
// is not this server's upload, a missing column and a bad row are refused with nothing
// written; another pool's import is not found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { TESSERA_URL, cnPhone, mailboxSeq, rand, uniqueEmail, waitMail, waitSms } from './helpers.mjs';
import { data, refused, v3 } from './v3-helpers.mjs';

const P = 'v3TenantImport';
const mc = v3(P);
const mcEn = v3(P, { lang: 'en-US' });
const other = v3('v3TenantImportOther');

// --- a minimal .xlsx writer: a zip of stored (uncompressed) entries --------------------------

function zip(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const nameBuf = Buffer.from(name, 'utf8');
    const body = Buffer.from(text, 'utf8');
    const crc = crc32(body);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(body.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    locals.push(local, nameBuf, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(body.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBuf);
    offset += 30 + nameBuf.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const esc = s => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const colName = i => String.fromCharCode(65 + i);

/** An .xlsx whose first sheet holds `rows` (arrays of strings; '' is an empty cell). */
function xlsx(rows) {
  const sheetRows = rows.map((r, i) => `<row r="${i + 1}">${r.map((v, j) => v === ''
    ? ''
    : `<c r="${colName(j)}${i + 1}" t="inlineStr"><is><t>${esc(v)}</t></is></c>`).join('')}</row>`).join('');
  return zip({
    '[Content_Types].xml': '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      + '<Default Extension="xml" ContentType="application/xml"/>'
      + '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
      + '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    '_rels/.rels': '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
      + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    'xl/workbook.xml': '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
      + 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="租户" sheetId="1" r:id="rId1"/></sheets></workbook>',
    'xl/_rels/workbook.xml.rels': '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
      + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    'xl/worksheets/sheet1.xml': '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
      + `<sheetData>${sheetRows}</sheetData></worksheet>`,
  });
}

/** Uploads a file to this server (folder `excel`); the answer's `data.url`. */
async function upload(bytes, fileName) {
  const form = new FormData();
  form.append('file', new Blob([bytes]), fileName);
  const r = await (await fetch(`${TESSERA_URL}/api/v2/upload?folder=excel`, { method: 'POST', body: form })).json();
  assert.equal(r.statusCode, 200, JSON.stringify(r));
  assert.match(r.data.url, /\/uploads\/[A-Za-z0-9]+\.(xlsx|csv)$/);
  return r.data.url;
}

const HEADER = ['租户名称', '租户描述', '用户名', '姓名', '邮箱', '手机号', '是否管理员'];

async function tenantsNamed(name) {
  return data(await mc.listTenants({ keywords: name, page: 1, limit: 10 })).list.filter(t => t.name === name);
}

async function historyTotal() {
  return data(await mc.importTenantHistory({ page: '1', limit: '10' })).totalCount;
}

async function userByEmail(email) {
  return mc.getUser({ userId: email, userIdType: 'email' });
}

let imported; // { importId, a, b, ann, bob, known }

test('importTenant: an uploaded .xlsx creates its tenants, users and memberships; history and notify list show them', async () => {
  const known = data(await mc.createUser({ email: uniqueEmail('ti-known'), name: 'Known' }));
  const a = `导入A-${rand(6)}`;
  const b = `导入B-${rand(6)}`;
  const ann = { email: uniqueEmail('ti-ann'), name: 'Ann' };
  const bob = { phone: cnPhone(), name: 'Bob', username: `ti_bob_${rand(8)}` };
  const url = await upload(xlsx([
    HEADER,
    [a, '第一个租户', '', ann.name, ann.email, '', '是'],
    [a, '', bob.username, bob.name, '', bob.phone, '否'],
    [],
    [b, '', '', '', known.email, '', '是'],
    [b, '', '', '', ann.email, '', ''],
  ]), 'tenants.xlsx');
  // The URL may spell any host: only its path names the upload, which is read from disk.
  const elsewhere = url.replace(/^https?:\/\/[^/]+/, 'https://files.example.com');
  const before = await historyTotal();
  assert.equal(data(await mc.importTenant({ excelUrl: elsewhere })).success, true);

  const [ta] = await tenantsNamed(a);
  const [tb] = await tenantsNamed(b);
  assert.ok(ta && tb, 'both tenants exist');
  assert.equal(ta.description, '第一个租户');
  const membersA = data(await mc.listTenantUsers({ tenantId: ta.tenantId, options: { pagination: { page: 1, limit: 10 } } }));
  assert.equal(membersA.totalCount, 2);
  const annUser = membersA.list.find(m => m.email === ann.email);
  const bobUser = membersA.list.find(m => m.phone === bob.phone);
  assert.ok(annUser && bobUser, JSON.stringify(membersA.list));
  assert.equal(annUser.isTenantAdmin, true);
  assert.equal(bobUser.isTenantAdmin, false);
  assert.equal(bobUser.username, bob.username);
  assert.equal(bobUser.phoneCountryCode, '+86');
  const adminsB = data(await mc.listTenantAdmin({ tenantId: tb.tenantId, page: 1, limit: 10 }));
  assert.deepEqual(adminsB.list.map(u => u.userId), [known.userId], 'the existing user was matched by email, not created');
  const membersB = data(await mc.listTenantUsers({ tenantId: tb.tenantId }));
  assert.deepEqual(membersB.list.map(m => m.userId).sort(), [annUser.userId, known.userId].sort());
  // The users are ordinary users of the pool.
  assert.equal(data(await userByEmail(ann.email)).name, 'Ann');

  const history = data(await mc.importTenantHistory({ page: '1', limit: '10' }));
  assert.equal(history.totalCount, before + 1);
  const h = history.list[0];
  assert.equal(typeof h.importId, 'number');
  assert.equal(h.status, 'success');
  assert.equal(h.tenantCount, 2);
  assert.equal(h.memberCount, 4);
  assert.equal(h.newUserCount, 2);
  assert.equal(h.fileName, url.split('/').pop());

  const notify = data(await mc.importTenantNotifyUser({ importId: String(h.importId), page: '1', limit: '10' }));
  assert.equal(notify.totalCount, 3, 'the rows of the two users it created, not the matched one');
  assert.deepEqual(notify.list.map(n => [n.tenantName, n.email ?? n.phone]),
    [[a, ann.email], [a, bob.phone], [b, ann.email]]);
  assert.ok(notify.list.every(n => n.emailNotified === false && n.smsNotified === false));
  assert.equal(notify.list[0].identifier, ta.code);
  imported = { importId: h.importId, a: ta, b: tb, ann, bob, known, notify: notify.list };
});

test('sendEmailBatch / sendSmsBatch: notices arrive and are stamped on the notify list', async () => {
  assert.ok(imported, 'the import test ran first');
  const { importId, ann, bob, a, notify } = imported;
  const annRows = notify.filter(n => n.email === ann.email);
  const since = await mailboxSeq();
  assert.equal(data(await mc.sendEmailBatch({
    adminName: '运营小王',
    importId,
    users: annRows.map(n => ({ adminName: '运营小王', userName: n.userName, email: n.email, identifier: n.identifier, tenantId: n.tenantId, tenantName: n.tenantName })),
  })).success, true);
  const mail = await waitMail(ann.email, since);
  assert.match(mail.subject, /租户/);
  assert.match(mail.text, /运营小王/);
  assert.ok(mail.text.includes(a.name) || mail.text.includes(imported.b.name), mail.text);

  const bobRow = notify.find(n => n.phone === bob.phone);
  const smsSince = await mailboxSeq();
  assert.equal(data(await mc.sendSmsBatch({
    adminName: '运营小王',
    importId,
    users: [{ adminName: '运营小王', userName: bobRow.userName, identifier: bobRow.identifier, phone: bob.phone, phoneCountryCode: '+86', tenantId: a.tenantId, tenantName: a.name }],
  })).success, true);
  const sms = await waitSms(bob.phone, '+86', smsSince);
  assert.equal(sms.scene, 'TENANT_IMPORT_NOTICE');
  assert.equal(sms.notice.tenantName, a.name);
  assert.equal(sms.notice.tenantCode, a.code);
  assert.equal(sms.notice.adminName, '运营小王');
  assert.equal(sms.notice.isAdmin, false);

  const after = data(await mc.importTenantNotifyUser({ importId: String(importId) })).list;
  for (const n of after) {
    assert.equal(n.emailNotified, n.email === ann.email, JSON.stringify(n));
    assert.equal(n.smsNotified, n.phone === bob.phone, JSON.stringify(n));
  }
  assert.ok(after.find(n => n.emailNotified).emailNotifiedAt);
});

test('notices go only to users of that import, in the pool that made it', async () => {
  assert.ok(imported, 'the import test ran first');
  const { importId, known, b, ann, a } = imported;
  // The matched user is in the tenant but was not created by the import.
  refused(await mc.sendEmailBatch({ adminName: 'x', importId, users: [{ email: known.email, tenantId: b.tenantId }] }), { statusCode: 400 });
  // A user of the import named with another tenant.
  const c = data(await mc.createTenant({ name: `别的-${rand(6)}`, appIds: [] }));
  refused(await mc.sendEmailBatch({ adminName: 'x', importId, users: [{ email: ann.email, tenantId: c.tenantId }] }), { statusCode: 400 });
  refused(await mc.sendEmailBatch({ adminName: 'x', importId: importId + 1000, users: [{ email: ann.email, tenantId: a.tenantId }] }), { statusCode: 404 });
  refused(await mc.sendEmailBatch({ adminName: '', importId, users: [{ email: ann.email, tenantId: a.tenantId }] }), { statusCode: 400 });
  refused(await mc.sendEmailBatch({ adminName: 'x', importId, users: [] }), { statusCode: 400 });
  const many = Array.from({ length: 101 }, () => ({ email: ann.email, tenantId: a.tenantId }));
  refused(await mc.sendEmailBatch({ adminName: 'x', importId, users: many }), { statusCode: 400 });
  // Another pool knows no such import.
  refused(await other.importTenantNotifyUser({ importId: String(importId) }), { statusCode: 404 });
  refused(await other.sendEmailBatch({ adminName: 'x', importId, users: [{ email: ann.email, tenantId: a.tenantId }] }), { statusCode: 404 });
  refused(await other.sendSmsBatch({ adminName: 'x', importId, users: [{ phone: imported.bob.phone, phoneCountryCode: '+86', tenantId: a.tenantId }] }), { statusCode: 404 });
  assert.equal(data(await other.importTenantHistory({})).totalCount, 0);
  refused(await mc.importTenantNotifyUser({}), { statusCode: 400 });
});

test('importTenant refuses what is not this server\'s upload, a missing column and a bad row, writing nothing', async () => {
  const before = await historyTotal();
  for (const excelUrl of [
    'https://example.com/t.xlsx',
    'http://169.254.169.254/latest/meta-data',
    `${TESSERA_URL}/uploads/../../etc/passwd`,
    `${TESSERA_URL}/uploads/nosuchfile1.xlsx`,
    'file:///etc/passwd',
    `${TESSERA_URL}/api/v3/list-tenants`,
  ]) {
    refused(await mc.importTenant({ excelUrl }), { statusCode: 400 });
  }
  refused(await mc.importTenant({}), { statusCode: 400 });

  const noTenantColumn = await upload(xlsx([['邮箱', '姓名'], [uniqueEmail('ti-x'), 'X']]), 'a.xlsx');
  refused(await mc.importTenant({ excelUrl: noTenantColumn }), { statusCode: 400, message: /租户名称/ });
  refused(await mcEn.importTenant({ excelUrl: noTenantColumn }), { statusCode: 400, message: /Tenant name/ });

  const good = `好的-${rand(6)}`;
  const goodEmail = uniqueEmail('ti-good');
  const badRow = await upload(xlsx([
    HEADER,
    [good, '', '', '', goodEmail, '', '是'],
    [good, '', '', '', 'not-an-email', '', ''],
  ]), 'b.xlsx');
  refused(await mc.importTenant({ excelUrl: badRow }), { statusCode: 400, message: /第 3 行.*邮箱/ });
  refused(await mcEn.importTenant({ excelUrl: badRow }), { statusCode: 400, message: /Row 3.*Email/ });
  // A row whose user would take a username someone has: refused by the store inside the unit,
  // after the first row's tenant and user were written in it — and rolled back.
  const taken = data(await mc.createUser({ username: `ti_taken_${rand(8)}`, email: uniqueEmail('ti-t') }));
  const lateRow = await upload(xlsx([
    HEADER,
    [good, '', '', '', goodEmail, '', '是'],
    [good, '', taken.username, '', uniqueEmail('ti-late'), '', ''],
  ]), 'c.xlsx');
  refused(await mc.importTenant({ excelUrl: lateRow }), { statusCode: 400, message: /第 3 行.*用户名/ });
  const repeated = await upload(xlsx([HEADER, [good, '', '', '', goodEmail, '', ''], [good, '', '', '', goodEmail.toUpperCase(), '', '']]), 'd.xlsx');
  refused(await mc.importTenant({ excelUrl: repeated }), { statusCode: 400, message: /第 3 行/ });

  assert.deepEqual(await tenantsNamed(good), [], 'no tenant of a refused file');
  refused(await userByEmail(goodEmail), { statusCode: 404 });
  assert.equal(await historyTotal(), before, 'no history of a refused file');

  // A picture is no spreadsheet, even through the upload.
  const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
  const form = new FormData();
  form.append('file', new Blob([PNG]), 'a.png');
  const png = await (await fetch(`${TESSERA_URL}/api/v2/upload?folder=avatar`, { method: 'POST', body: form })).json();
  refused(await mc.importTenant({ excelUrl: png.data.url }), { statusCode: 400 });
  const junk = new FormData();
  junk.append('file', new Blob([Buffer.from([0xff, 0xfe, 0x00, 0x01])]), 'x.xlsx');
  const refusedUpload = await (await fetch(`${TESSERA_URL}/api/v2/upload?folder=excel`, { method: 'POST', body: junk })).json();
  assert.notEqual(refusedUpload.statusCode, 200);
  // A zip that is no workbook.
  const notBook = await upload(zip({ 'a.txt': 'hello' }), 'e.xlsx');
  refused(await mc.importTenant({ excelUrl: notBook }), { statusCode: 400 });
});

test('importTenant reads a .csv in UTF-8 as well', async () => {
  const name = `CSV-${rand(6)}`;
  const email = uniqueEmail('ti-csv');
  const url = await upload(Buffer.from(`\ufeff租户名称,邮箱,姓名\r\n"${name}",${email},"Lee, Jr."\r\n`, 'utf8'), 't.csv');
  data(await mc.importTenant({ excelUrl: url }));
  const [t] = await tenantsNamed(name);
  assert.ok(t);
  const u = data(await userByEmail(email));
  assert.equal(u.name, 'Lee, Jr.');
});
