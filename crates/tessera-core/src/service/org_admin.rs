//! The management side of organizations (`v2-wire.md` §6.6): whole trees with exactly one
//! root, node edits and moves (never into the node's own subtree), members, main
//! departments, search, and JSON import.
//!
//! The SDK rebuilds a tree client-side from an organization's `nodes`; every node here comes
//! with its tree facts ([`NodeView`]: `root`, `path`, `children` as ids, …), computed by the
//! directory's one [`Tree`] from stored parent links.

use std::collections::HashMap;

use serde_json::Value;

use super::directory::{description, optional, NewNode, Tree, MAX_CODE_LEN, MAX_NAME_LEN};
use super::directory_admin::{batch, unique};
use super::paging::{Page, Paged};
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::directory::{Node, NodeView, Org};
use crate::model::directory_admin::{NodeChange, OrgRecord};
use crate::model::User;
use crate::principal::PoolAdmin;
use crate::store::directory::Order;

/// Most nodes one JSON import may create, and deepest nesting it may have.
pub const MAX_IMPORT_NODES: usize = 10_000;
pub const MAX_IMPORT_DEPTH: usize = 64;
/// Most nodes one search answers with (the wire's `searchNodes` is not paginated).
pub const MAX_SEARCH_RESULTS: i64 = 1000;

/// An organization with every node's tree facts, root first, then each level in sibling
/// order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgTree {
    pub record: OrgRecord,
    pub nodes: Vec<NodeView>,
}

impl OrgTree {
    pub fn root(&self) -> Option<&NodeView> {
        self.nodes.iter().find(|n| n.root)
    }
}

/// What `updateNode` changes; `None` keeps a field, a blank code removes it.
#[derive(Debug, Clone, Default)]
pub struct NodeUpdate {
    pub name: Option<String>,
    pub code: Option<String>,
    pub description: Option<String>,
    pub order: Option<i64>,
    pub name_i18n: Option<String>,
    pub description_i18n: Option<String>,
    /// Enables (`true`) or disables the department.
    pub enabled: Option<bool>,
}

/// Builds the trees of `records` from all their nodes (sibling order as stored: order,
/// created_at, id).
fn trees(records: Vec<OrgRecord>, nodes: Vec<Node>) -> Vec<OrgTree> {
    let mut by_org: HashMap<String, Vec<Node>> = HashMap::new();
    for n in nodes {
        by_org.entry(n.org_id.clone()).or_default().push(n);
    }
    records
        .into_iter()
        .map(|record| {
            let nodes = by_org.remove(&record.org.id).unwrap_or_default();
            let mut children: HashMap<String, Vec<String>> = HashMap::new();
            for n in &nodes {
                if let Some(p) = &n.parent_id {
                    children.entry(p.clone()).or_default().push(n.id.clone());
                }
            }
            let tree = Tree {
                nodes: nodes.into_iter().map(|n| (n.id.clone(), n)).collect(),
                children,
            };
            // Breadth first from the root; the `seen` bound keeps a corrupt loop finite.
            let mut order = vec![record.org.root_node_id.clone()];
            let mut i = 0;
            while i < order.len() && order.len() <= tree.nodes.len() {
                if let Some(kids) = tree.children.get(&order[i]) {
                    order.extend(kids.iter().cloned());
                }
                i += 1;
            }
            order.truncate(tree.nodes.len());
            let views = order.iter().filter_map(|id| tree.view(id)).collect();
            OrgTree {
                record,
                nodes: views,
            }
        })
        .collect()
}

/// A JSON text field of an import (`nameI18n`, `descriptionI18n`): an object is kept as
/// its JSON text, a string as given.
fn json_text(v: Option<&Value>, field: &'static str) -> Result<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(o @ Value::Object(_)) => Ok(Some(o.to_string())),
        Some(_) => Err(Error::InvalidParameter(field)),
    }
}

fn str_field(obj: &serde_json::Map<String, Value>, key: &'static str) -> Result<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::InvalidParameter(key)),
    }
}

/// One node of an import document.
fn import_node(v: &Value) -> Result<(NewNode, &[Value])> {
    let obj = v.as_object().ok_or(Error::InvalidParameter("file"))?;
    let order = match obj.get("order") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_i64().ok_or(Error::InvalidParameter("order"))?),
        Some(_) => return Err(Error::InvalidParameter("order")),
    };
    let children: &[Value] = match obj.get("children") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        Some(_) => return Err(Error::InvalidParameter("children")),
    };
    Ok((
        NewNode {
            name: str_field(obj, "name")?.ok_or(Error::MissingParameter("name"))?,
            code: str_field(obj, "code")?,
            description: str_field(obj, "description")?,
            order,
            name_i18n: json_text(obj.get("nameI18n"), "nameI18n")?,
            description_i18n: json_text(obj.get("descriptionI18n"), "descriptionI18n")?,
        },
        children,
    ))
}

/// The checked columns of a node update: a blank name keeps the name, a blank code
/// removes the code.
fn node_change(update: NodeUpdate) -> Result<NodeChange> {
    Ok(NodeChange {
        name: match update.name {
            Some(n) if !n.trim().is_empty() => {
                Some(super::directory::checked(&n, "name", MAX_NAME_LEN)?)
            }
            _ => None,
        },
        code: match update.code {
            Some(c) => Some(optional(Some(c), "code", MAX_CODE_LEN)?),
            None => None,
        },
        description: match update.description {
            Some(d) => Some(description(Some(d))?),
            None => None,
        },
        order: update.order,
        name_i18n: match update.name_i18n {
            Some(v) => Some(super::directory::optional_json(Some(v), "nameI18n")?),
            None => None,
        },
        description_i18n: match update.description_i18n {
            Some(v) => Some(super::directory::optional_json(Some(v), "descriptionI18n")?),
            None => None,
        },
        enabled: update.enabled,
    })
}

impl Core {
    async fn org_trees(&self, pool_id: &str, records: Vec<OrgRecord>) -> Result<Vec<OrgTree>> {
        let ids: Vec<String> = records.iter().map(|r| r.org.id.clone()).collect();
        let nodes = self.store.org_nodes(pool_id, &ids).await?;
        Ok(trees(records, nodes))
    }

    /// Creates an organization from its root and the rest of its nodes (each after its
    /// parent), optionally of a tenant, in one transaction.
    async fn insert_org(
        &self,
        pool: &PoolAdmin,
        tenant_id: Option<String>,
        nodes: Vec<(NewNode, Option<usize>)>,
    ) -> Result<OrgTree> {
        let pool_id = pool.pool_id();
        self.pool(pool_id).await?;
        let tenant_id = optional(tenant_id, "tenantId", MAX_CODE_LEN)?;
        let org_id = ids::new_id();
        let mut built: Vec<Node> = Vec::with_capacity(nodes.len());
        for (new, parent) in nodes {
            let parent_id = match parent {
                Some(i) => Some(
                    built
                        .get(i)
                        .map(|p| p.id.clone())
                        .ok_or_else(|| Error::Internal("import parent out of order".into()))?,
                ),
                None => None,
            };
            built.push(Self::node_from(new, pool_id, &org_id, parent_id)?);
        }
        let root = built
            .first()
            .ok_or(Error::MissingParameter("name"))?
            .clone();
        let org = Org {
            id: org_id.clone(),
            pool_id: pool_id.to_owned(),
            root_node_id: root.id.clone(),
            created_at: root.created_at,
            updated_at: root.created_at,
        };
        self.store
            .insert_org_tree(&org, tenant_id.as_deref(), &built)
            .await?;
        self.org_tree(pool, &org_id).await
    }

    /// `createOrg`: an organization with only its root.
    pub async fn create_org_tree(
        &self,
        pool: &PoolAdmin,
        root: NewNode,
        tenant_id: Option<String>,
    ) -> Result<OrgTree> {
        self.insert_org(pool, tenant_id, vec![(root, None)]).await
    }

    /// `orgs/import`: a whole tree `{name, code, description, order, nameI18n,
    /// descriptionI18n, children: […]}`, all of it or nothing.
    pub async fn import_org(&self, pool: &PoolAdmin, doc: &Value) -> Result<OrgTree> {
        let mut flat: Vec<(NewNode, Option<usize>)> = Vec::new();
        // Depth first with an explicit stack, so a deep document cannot exhaust ours.
        let mut stack: Vec<(&Value, Option<usize>, usize, i64)> = vec![(doc, None, 1, 0)];
        while let Some((v, parent, depth, sibling_index)) = stack.pop() {
            if depth > MAX_IMPORT_DEPTH {
                return Err(Error::InvalidParameter("children"));
            }
            let (mut node, children) = import_node(v)?;
            // Siblings of one import share a creation time, so without an `order` their
            // sibling order would fall to the ids: give them their place in the document.
            if node.order.is_none() {
                node.order = Some(sibling_index);
            }
            flat.push((node, parent));
            if flat.len() > MAX_IMPORT_NODES {
                return Err(Error::InvalidParameter("file"));
            }
            let me = flat.len() - 1;
            // Pushed in reverse so that siblings are created in the document's order.
            for (i, c) in children.iter().enumerate().rev() {
                stack.push((c, Some(me), depth + 1, i as i64));
            }
        }
        self.insert_org(pool, None, flat).await
    }

    pub async fn org_tree(&self, pool: &PoolAdmin, org_id: &str) -> Result<OrgTree> {
        let pool_id = pool.pool_id();
        let record = self
            .store
            .get_org_record(pool_id, org_id.trim())
            .await?
            .ok_or(Error::NotFound(Entity::Org))?;
        self.org_trees(pool_id, vec![record])
            .await?
            .pop()
            .ok_or(Error::NotFound(Entity::Org))
    }

    pub async fn list_org_trees(
        &self,
        pool: &PoolAdmin,
        page: Page,
        order: Order,
    ) -> Result<Paged<OrgTree>> {
        let pool_id = pool.pool_id();
        let records = self.store.list_orgs(pool_id, page, order).await?;
        let list = self.org_trees(pool_id, records.list).await?;
        Ok(Paged {
            total_count: records.total_count,
            list,
        })
    }

    pub async fn count_orgs(&self, pool: &PoolAdmin) -> Result<i64> {
        let pool_id = pool.pool_id();
        self.store.count_orgs(pool_id).await
    }

    /// Every organization of the pool (`orgs/export` without an id).
    pub async fn all_org_trees(&self, pool: &PoolAdmin) -> Result<Vec<OrgTree>> {
        let pool_id = pool.pool_id();
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let p = Page::new(Some(page), Some(super::paging::MAX_PAGE_SIZE))?;
            let records = self.store.list_orgs(pool_id, p, Order::Oldest).await?;
            let last = records.list.len() < p.limit as usize;
            out.extend(self.org_trees(pool_id, records.list).await?);
            if last {
                return Ok(out);
            }
            page += 1;
        }
    }

    pub async fn orgs_of_tenant(&self, pool: &PoolAdmin, tenant_id: &str) -> Result<Vec<OrgTree>> {
        let pool_id = pool.pool_id();
        let tenant_id = tenant_id.trim();
        if tenant_id.is_empty() {
            return Err(Error::MissingParameter("tenant_id"));
        }
        let records = self.store.orgs_of_tenant(pool_id, tenant_id).await?;
        self.org_trees(pool_id, records).await
    }

    /// Deletes an organization with all its nodes, memberships and what names them.
    pub async fn delete_org(&self, pool: &PoolAdmin, org_id: &str) -> Result<()> {
        let (pool_id, org_id) = (pool.pool_id(), org_id.trim().to_owned());
        let pool = pool_id.to_owned();
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                if !tx.org_exists(&pool, &org_id).await? {
                    return Err(Error::NotFound(Entity::Org));
                }
                super::cascade::delete_org(tx, &pool, &org_id).await
            })
        })
        .await
    }

    /// `addNodeV2`: a node under `parent_node_id`, or under the root when none is named.
    pub async fn add_org_node(
        &self,
        pool: &PoolAdmin,
        org_id: &str,
        parent_node_id: Option<&str>,
        new: NewNode,
    ) -> Result<NodeView> {
        let pool_id = pool.pool_id();
        let record = self
            .store
            .get_org_record(pool_id, org_id.trim())
            .await?
            .ok_or(Error::NotFound(Entity::Org))?;
        let parent = match parent_node_id.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => p.to_owned(),
            None => record.org.root_node_id.clone(),
        };
        self.add_node(pool_id, &record.org.id, &parent, new).await
    }

    pub async fn update_org_node(
        &self,
        pool: &PoolAdmin,
        node_id: &str,
        update: NodeUpdate,
    ) -> Result<NodeView> {
        let pool_id = pool.pool_id();
        let change = node_change(update)?;
        let node = self
            .store
            .update_node(pool_id, node_id.trim(), &change, clock::now_ms())
            .await?;
        self.node_view(pool_id, &node.id).await
    }

    /// Updates a node's fields and moves it under `new_parent` (a node of the same
    /// organization, never in its own subtree) in one unit of work: both land or neither.
    pub async fn edit_org_node(
        &self,
        pool: &PoolAdmin,
        org_id: &str,
        node_id: &str,
        update: NodeUpdate,
        new_parent: Option<&str>,
    ) -> Result<NodeView> {
        let pool_id = pool.pool_id();
        let change = node_change(update)?;
        let (pid, org, id, parent, at) = (
            pool_id.to_owned(),
            org_id.trim().to_owned(),
            node_id.trim().to_owned(),
            new_parent.map(|p| p.trim().to_owned()),
            clock::now_ms(),
        );
        let node_id = id.clone();
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                if !tx.org_exists(&pid, &org).await? {
                    return Err(Error::NotFound(Entity::Org));
                }
                let node = tx
                    .node(&pid, &id)
                    .await?
                    .filter(|n| n.org_id == org)
                    .ok_or(Error::NotFound(Entity::OrgNode))?;
                if let Some(p) = parent.filter(|p| node.parent_id.as_deref() != Some(p)) {
                    let in_org = tx.node(&pid, &p).await?.is_some_and(|n| n.org_id == org);
                    if !in_org {
                        return Err(Error::NotFound(Entity::OrgNode));
                    }
                    // As in `move_org_node`: the new parent's lineage holding the node
                    // means a cycle (and the root, everyone's ancestor, never moves).
                    if tx.node_lineage(&pid, &p).await?.contains(&id) {
                        return Err(Error::NodeMoveLoop);
                    }
                    tx.set_node_parent(&pid, &id, &p, at).await?;
                }
                if change != NodeChange::default() {
                    tx.update_node_fields(&pid, &id, &change, at).await?;
                }
                Ok(())
            })
        })
        .await?;
        self.node_view(pool_id, &node_id).await
    }

    /// Moves a node (with its subtree) under another node of the same organization; a move
    /// into its own subtree is refused and changes nothing.
    pub async fn move_org_node(
        &self,
        pool: &PoolAdmin,
        org_id: &str,
        node_id: &str,
        target_parent_id: &str,
    ) -> Result<OrgTree> {
        let pool_id = pool.pool_id();
        let (pid, org, node_id, parent_id, at) = (
            pool_id.to_owned(),
            org_id.trim().to_owned(),
            node_id.trim().to_owned(),
            target_parent_id.trim().to_owned(),
            clock::now_ms(),
        );
        // Checked and written in one unit of work under the pool's lock: a concurrent move
        // cannot make this one close a cycle.
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                if !tx.org_exists(&pid, &org).await? {
                    return Err(Error::NotFound(Entity::Org));
                }
                for id in [&node_id, &parent_id] {
                    let in_org = tx.node(&pid, id).await?.is_some_and(|n| n.org_id == org);
                    if !in_org {
                        return Err(Error::NotFound(Entity::OrgNode));
                    }
                }
                // Walking up from the new parent and meeting the node means the node would
                // hang under itself (the root is everyone's ancestor, so it never moves).
                if tx.node_lineage(&pid, &parent_id).await?.contains(&node_id) {
                    return Err(Error::NodeMoveLoop);
                }
                tx.set_node_parent(&pid, &node_id, &parent_id, at).await
            })
        })
        .await?;
        self.org_tree(pool, org_id).await
    }

    /// Deletes a node that is not the root, with its subtree and all that names them.
    pub async fn delete_org_node(
        &self,
        pool: &PoolAdmin,
        org_id: &str,
        node_id: &str,
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        let (pool, org_id, node_id) = (
            pool_id.to_owned(),
            org_id.trim().to_owned(),
            node_id.trim().to_owned(),
        );
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                if !tx.org_exists(&pool, &org_id).await? {
                    return Err(Error::NotFound(Entity::Org));
                }
                let node = tx
                    .node(&pool, &node_id)
                    .await?
                    .filter(|n| n.org_id == org_id)
                    .ok_or(Error::NotFound(Entity::OrgNode))?;
                // The root goes only with its organization (`deleteOrg`): an org has one root.
                if node.parent_id.is_none() {
                    return Err(Error::RootNodeDelete);
                }
                let subtree = tx.node_subtree(&pool, &node.id).await?;
                super::cascade::delete_nodes(tx, &pool, &subtree).await
            })
        })
        .await
    }

    pub async fn node_by_id(&self, pool: &PoolAdmin, node_id: &str) -> Result<Option<NodeView>> {
        let pool_id = pool.pool_id();
        match self.store.get_node(pool_id, node_id.trim()).await? {
            Some(n) => self.node_view(pool_id, &n.id).await.map(Some),
            None => Ok(None),
        }
    }

    pub async fn node_required(&self, pool: &PoolAdmin, node_id: &str) -> Result<NodeView> {
        self.node_by_id(pool, node_id)
            .await?
            .ok_or(Error::NotFound(Entity::OrgNode))
    }

    pub async fn node_by_code(
        &self,
        pool: &PoolAdmin,
        org_id: &str,
        code: &str,
    ) -> Result<Option<NodeView>> {
        let pool_id = pool.pool_id();
        match self
            .store
            .find_node_by_code(pool_id, org_id.trim(), code.trim())
            .await?
        {
            Some(n) => self.node_view(pool_id, &n.id).await.map(Some),
            None => Ok(None),
        }
    }

    pub async fn root_node_of(&self, pool: &PoolAdmin, org_id: &str) -> Result<NodeView> {
        let pool_id = pool.pool_id();
        let record = self
            .store
            .get_org_record(pool_id, org_id.trim())
            .await?
            .ok_or(Error::NotFound(Entity::Org))?;
        self.node_view(pool_id, &record.org.root_node_id).await
    }

    pub async fn is_root_node(
        &self,
        pool: &PoolAdmin,
        org_id: &str,
        node_id: &str,
    ) -> Result<bool> {
        let pool_id = pool.pool_id();
        let record = self
            .store
            .get_org_record(pool_id, org_id.trim())
            .await?
            .ok_or(Error::NotFound(Entity::Org))?;
        Ok(record.org.root_node_id == node_id.trim())
    }

    /// The direct children of a node, in sibling order.
    pub async fn child_nodes(&self, pool: &PoolAdmin, node_id: &str) -> Result<Vec<NodeView>> {
        let pool_id = pool.pool_id();
        let node = self.node_required(pool, node_id).await?;
        let tree = self.tree(pool_id, &node.children, &node.children).await?;
        Ok(node
            .children
            .iter()
            .filter_map(|id| tree.view(id))
            .collect())
    }

    /// Nodes whose name or code contains `keyword`, ordered by (name, id).
    pub async fn search_org_nodes(&self, pool: &PoolAdmin, keyword: &str) -> Result<Vec<NodeView>> {
        let pool_id = pool.pool_id();
        let keyword = keyword.trim();
        if keyword.is_empty() {
            return Err(Error::MissingParameter("keyword"));
        }
        if keyword.chars().count() > MAX_NAME_LEN {
            return Err(Error::InvalidParameter("keyword"));
        }
        let found = self
            .store
            .search_nodes(pool_id, keyword, MAX_SEARCH_RESULTS)
            .await?;
        let ids: Vec<String> = found.iter().map(|n| n.id.clone()).collect();
        let tree = self.tree(pool_id, &ids, &ids).await?;
        Ok(ids.iter().filter_map(|id| tree.view(id)).collect())
    }

    /// Removes users from a node; every user must exist in the pool.
    pub async fn remove_org_members(
        &self,
        pool: &PoolAdmin,
        node_id: &str,
        user_ids: &[String],
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        if user_ids.is_empty() {
            return Err(Error::MissingParameter("userIds"));
        }
        let node = self.node_required(pool, node_id).await?;
        let user_ids = unique(batch(user_ids, "userIds")?);
        for id in &user_ids {
            self.user_by_id(pool_id, id).await?;
        }
        self.store
            .remove_node_members(pool_id, &node.node.id, &user_ids)
            .await
    }

    /// Moves users from one node to another in one transaction; each must be a member of
    /// the source.
    pub async fn move_org_members(
        &self,
        pool: &PoolAdmin,
        user_ids: &[String],
        source_node_id: &str,
        target_node_id: &str,
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        if user_ids.is_empty() {
            return Err(Error::MissingParameter("userIds"));
        }
        let user_ids = unique(batch(user_ids, "userIds")?);
        let (pool, from, to, at) = (
            pool_id.to_owned(),
            source_node_id.trim().to_owned(),
            target_node_id.trim().to_owned(),
            clock::now_ms(),
        );
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                super::membership::move_node_members(tx, &pool, &user_ids, &from, &to, at).await
            })
        })
        .await
    }

    /// A page of a node's members (with those of its descendants, each once, when asked).
    pub async fn node_users(
        &self,
        pool: &PoolAdmin,
        node_id: &str,
        with_descendants: bool,
        newest_first: bool,
        page: Page,
    ) -> Result<Paged<User>> {
        let pool_id = pool.pool_id();
        self.store
            .node_users(pool_id, node_id, with_descendants, newest_first, page)
            .await
    }

    /// Makes a department the user's main one (the user must be a member), or with `None`
    /// leaves the user without one.
    pub async fn set_main_department(
        &self,
        pool: &PoolAdmin,
        user_id: &str,
        node_id: Option<&str>,
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        let node_id = node_id
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let (pool, user_id) = (pool_id.to_owned(), user_id.trim().to_owned());
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                super::membership::set_main_department(tx, &pool, &user_id, node_id.as_deref())
                    .await
            })
        })
        .await
    }

    /// The organization whose root department carries `code` (the v3 wire names an
    /// organization by it). Should two roots share a code (written before codes were
    /// checked), the oldest is the one meant.
    pub async fn org_by_code(&self, pool: &PoolAdmin, code: &str) -> Result<OrgTree> {
        let code = code.trim();
        if code.is_empty() {
            return Err(Error::MissingParameter("organizationCode"));
        }
        let roots = self.store.nodes_with_code(pool.pool_id(), code).await?;
        let root = roots
            .into_iter()
            .find(|n| n.parent_id.is_none())
            .ok_or(Error::NotFound(Entity::Org))?;
        self.org_tree(pool, &root.org_id).await
    }

    /// Refuses a code another organization's root already carries (`except` is the org
    /// being recoded).
    async fn org_code_free(
        &self,
        pool: &PoolAdmin,
        code: &str,
        except: Option<&str>,
    ) -> Result<()> {
        let taken = self
            .store
            .nodes_with_code(pool.pool_id(), code.trim())
            .await?
            .iter()
            .any(|n| n.parent_id.is_none() && Some(n.org_id.as_str()) != except);
        if taken {
            return Err(Error::Duplicate(Entity::OrgCode));
        }
        Ok(())
    }

    /// `createOrganization`: an organization named by a code no other organization of the
    /// pool has (the code is its root department's).
    pub async fn create_coded_org(
        &self,
        pool: &PoolAdmin,
        root: NewNode,
        tenant_id: Option<String>,
    ) -> Result<OrgTree> {
        let code = root
            .code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or(Error::MissingParameter("organizationCode"))?
            .to_owned();
        self.org_code_free(pool, &code, None).await?;
        let tree = self.create_org_tree(pool, root, tenant_id).await?;
        // Two creates racing past the check above both inserted: each one that sees
        // another root with its code withdraws, so a code never names two organizations
        // (at worst both are refused and a retry succeeds).
        let ours = tree.record.org.id.clone();
        if let Err(e) = self.org_code_free(pool, &code, Some(&ours)).await {
            self.delete_org(pool, &ours).await?;
            return Err(e);
        }
        Ok(tree)
    }

    /// Updates an organization's root department; a new code must be free among the
    /// pool's organizations.
    pub async fn update_coded_org(
        &self,
        pool: &PoolAdmin,
        org: &OrgTree,
        update: NodeUpdate,
    ) -> Result<OrgTree> {
        let root = org.root().ok_or(Error::NotFound(Entity::Org))?;
        if let Some(code) = &update.code {
            if code.trim().is_empty() {
                // An organization is found by its code: it cannot lose it.
                return Err(Error::InvalidParameter("organizationNewCode"));
            }
            self.org_code_free(pool, code, Some(&org.record.org.id))
                .await?;
        }
        let new_code = update.code.clone();
        self.update_org_node(pool, &root.node.id, update).await?;
        if let Some(code) = new_code {
            // As in `create_coded_org`: a racing recode to the same code is undone here.
            if let Err(e) = self
                .org_code_free(pool, &code, Some(&org.record.org.id))
                .await
            {
                let back = NodeUpdate {
                    code: root.node.code.clone(),
                    ..NodeUpdate::default()
                };
                self.update_org_node(pool, &root.node.id, back).await?;
                return Err(e);
            }
        }
        self.org_tree(pool, &org.record.org.id).await
    }

    /// Replaces the user's departments with `departments` (node id, main?) in one unit of
    /// work: joined ones are kept (with their join time), missing ones joined, others left.
    /// At most one may be main; with none named main, a kept main department stays main.
    pub async fn set_user_departments(
        &self,
        pool: &PoolAdmin,
        user_id: &str,
        departments: Vec<(String, bool)>,
    ) -> Result<()> {
        let pool_id = pool.pool_id();
        let mut wanted: Vec<(String, bool)> = Vec::with_capacity(departments.len());
        for (id, main) in departments {
            let id = id.trim().to_owned();
            if id.is_empty() {
                return Err(Error::MissingParameter("departmentId"));
            }
            match wanted.iter_mut().find(|(w, _)| *w == id) {
                Some(w) => w.1 |= main,
                None => wanted.push((id, main)),
            }
        }
        if wanted.len() > super::directory_admin::MAX_BATCH {
            return Err(Error::InvalidParameter("departments"));
        }
        if wanted.iter().filter(|(_, m)| *m).count() > 1 {
            return Err(Error::InvalidParameter("isMainDepartment"));
        }
        let (pool, user_id, at) = (
            pool_id.to_owned(),
            user_id.trim().to_owned(),
            clock::now_ms(),
        );
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                super::membership::set_user_departments(tx, &pool, &user_id, &wanted, at).await
            })
        })
        .await
    }
}
