// v3 Posts (job positions) through authing-node-sdk@4.0.1: all 11 methods, departments from
// an organization made through the v2 ManagementClient, the user's postIdList, and the bad
// inputs (unknown codes and ids, another pool's posts, duplicate codes writing nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, rand, uniqueUsername } from './helpers.mjs';
import { v3, data, refused } from './v3-helpers.mjs';

const P = 'v3Posts';
const mc = v3(P);

async function department() {
  const org = await mgmt(P).org.create(`org-${rand()}`, 'posts test', `org${rand()}`);
  return org.rootNode.id;
}

test('createPost, getPost, updatePost, postList and removePost', async () => {
  const dep = await department();
  const code = `dev-${rand()}`;
  const made = data(await mc.createPost({ code, name: '开发', description: 'writes code', departmentIdList: [dep] }));
  assert.equal(made.code, code);
  assert.deepEqual(made.departmentIdList, [dep]);
  const got = data(await mc.getPost({ code }));
  assert.equal(got.id, made.id);
  assert.equal(got.name, '开发');
  const upd = data(await mc.updatePost({ code, name: '研发' }));
  assert.equal(upd.name, '研发');
  assert.equal(upd.description, 'writes code', 'only the named fields change');
  assert.deepEqual(upd.departmentIdList, [dep]);
  const cleared = data(await mc.updatePost({ code, name: '研发', departmentIdList: [] }));
  assert.deepEqual(cleared.departmentIdList, []);
  const page = data(await mc.postList({ keywords: code, page: 1, limit: 10 }));
  assert.equal(page.totalCount, 1);
  assert.equal(page.list[0].code, code);
  assert.equal(page.list[0].userCount, 0);
  const batch = data(await mc.postListBatch({ postCodes: [code], page: 1, limit: 10 }));
  assert.equal(batch.list[0].id, made.id);
  const byId = data(await mc.getPostById({ idList: [made.id] }));
  assert.equal(byId.length, 1);
  assert.equal(byId[0].code, code);
  assert.equal((await mc.removePost({ code })).statusCode, 200);
  refused(await mc.getPost({ code }), { statusCode: 404 });
});

test('setUserPosts, userConnectionPost, getUserPosts, getUserPost and the user\'s postIdList', async () => {
  const a = data(await mc.createPost({ code: `a-${rand()}`, name: 'A' }));
  const b = data(await mc.createPost({ code: `b-${rand()}`, name: 'B' }));
  const u = data(await mc.createUser({ username: uniqueUsername('post') }));
  assert.equal((await mc.setUserPosts({ userId: u.userId, postIds: [a.id] })).statusCode, 200);
  assert.equal((await mc.userConnectionPost({ userId: u.userId, postId: b.id })).statusCode, 200);
  const held = data(await mc.getUserPosts({ userId: u.userId }));
  assert.deepEqual(held.map(p => p.code).sort(), [a.code, b.code].sort());
  const first = data(await mc.getUserPost({ userId: u.userId }));
  assert.equal(first.code, a.code);
  const withPost = data(await mc.getUser({ userId: u.userId, withPost: true }));
  assert.deepEqual(withPost.postIdList.sort(), [a.id, b.id].sort());
  const counted = data(await mc.postListBatch({ postCodes: [a.code], page: 1, limit: 10 }));
  assert.equal(counted.list[0].userCount, 1);
  // Replacing the set; removing a post takes its links.
  await mc.setUserPosts({ userId: u.userId, postIds: [b.id] });
  assert.deepEqual(data(await mc.getUserPosts({ userId: u.userId })).map(p => p.id), [b.id]);
  await mc.removePost({ code: b.code });
  assert.deepEqual(data(await mc.getUserPosts({ userId: u.userId })), []);
  refused(await mc.getUserPost({ userId: u.userId }), { statusCode: 404 });
});

test('bad input: duplicate codes, unknown departments and posts, another pool\'s objects', async () => {
  const code = `dup-${rand()}`;
  data(await mc.createPost({ code, name: 'one' }));
  refused(await mc.createPost({ code, name: 'two' }), { statusCode: 409 });
  assert.equal(data(await mc.getPost({ code })).name, 'one', 'the duplicate wrote nothing');
  const fresh = `fresh-${rand()}`;
  refused(await mc.createPost({ code: fresh, name: 'x', departmentIdList: ['no-such-node'] }), { statusCode: 404 });
  refused(await mc.getPost({ code: fresh }), { statusCode: 404 });
  refused(await mc.createPost({ name: 'no code' }), { statusCode: 400 });
  refused(await mc.createPost({ code: `c-${rand()}`, name: 5 }), { statusCode: 400 });
  refused(await mc.postList({ page: 1, limit: 100000 }), { statusCode: 400 });
  refused(await mc.postList({ page: 0 }), { statusCode: 400 });
  const u = data(await mc.createUser({ username: uniqueUsername('bad') }));
  refused(await mc.setUserPosts({ userId: u.userId, postIds: ['no-such-post'] }), { statusCode: 404 });
  // Another pool's post is absent here.
  const other = v3('v3Sign');
  const theirs = data(await other.createPost({ code: `theirs-${rand()}`, name: 'theirs' }));
  assert.deepEqual(data(await mc.getPostById({ idList: [theirs.id] })), []);
  refused(await mc.userConnectionPost({ userId: u.userId, postId: theirs.id }), { statusCode: 404 });
  refused(await mc.removePost({ code: theirs.code }), { statusCode: 404 });
  assert.equal(data(await other.getPost({ code: theirs.code })).name, 'theirs');
});
