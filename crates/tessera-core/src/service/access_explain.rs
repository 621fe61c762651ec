//! Why a subject may or may not use an application: the one access decision of the login
//! (`directory::app_allowed`: a deny naming the subject or anything it holds wins, then an
//! allow, then the application's default), told with the rule that made it. The management
//! side asks it for a user, role, group or department of one application
//! (`detailAuthSubject`); a logged-in user asks it for themselves over every application of
//! the pool (`listSubjectAuth`). Both read the same rules the login reads, so an answer can
//! never disagree with what a login through that application does.

use super::account::Session;
use super::Core;
use crate::error::{Entity, Error, Result};
use crate::model::directory::{default_access_allows, AppAccessRule, Subjects, TargetType};
use crate::model::Application;
use crate::principal::PoolAdmin;

/// What decided the access of one subject to one application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessBasis {
    /// A rule naming the subject itself.
    Own { allow: bool },
    /// A rule naming something the subject holds: a user's role, group or department, or
    /// a department's ancestor.
    Through {
        target_type: TargetType,
        target_id: String,
        target_name: String,
        allow: bool,
    },
    /// No rule names the subject or what it holds: the application's default decides.
    Default { allow_all: bool },
}

impl AccessBasis {
    /// Whether the subject may sign in to the application.
    pub fn allowed(&self) -> bool {
        match self {
            AccessBasis::Own { allow } | AccessBasis::Through { allow, .. } => *allow,
            AccessBasis::Default { allow_all } => *allow_all,
        }
    }
}

/// One subject's access to one application, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectAccess {
    pub app: Application,
    pub subject_type: TargetType,
    pub subject_id: String,
    pub subject_name: String,
    pub basis: AccessBasis,
}

/// The rule that decides among `rules` (those of one application naming `held`), as
/// `app_allowed` decides: any deny before any allow; among equals the subject's own rule
/// first, so the answer names the most direct reason.
fn deciding<'a>(
    rules: &'a [&'a AppAccessRule],
    own: (TargetType, &str),
) -> Option<&'a AppAccessRule> {
    let is_own = |r: &AppAccessRule| r.target_type == own.0 && r.target_id == own.1;
    for allow in [false, true] {
        let of: Vec<&AppAccessRule> = rules.iter().copied().filter(|r| r.allow == allow).collect();
        if let Some(r) = of
            .iter()
            .copied()
            .find(|r| is_own(r))
            .or(of.first().copied())
        {
            return Some(r);
        }
    }
    None
}

impl Core {
    /// `detailAuthSubject`: how the access policy of `app_id` decides for one target, named
    /// as the wire names it (users and departments by id, roles and groups by code).
    pub async fn subject_app_access(
        &self,
        pool: &PoolAdmin,
        target_type: TargetType,
        identifier: &str,
        app_id: &str,
    ) -> Result<SubjectAccess> {
        let pool_id = pool.pool_id();
        let app_id = app_id.trim();
        if app_id.is_empty() {
            return Err(Error::MissingParameter("appId"));
        }
        let (app, config) = self
            .store
            .app_with_config(pool_id, app_id)
            .await?
            .ok_or(Error::AppNotFound)?;
        // The OpenAPI calls `targetId` the subject's id; roles and groups are also found by
        // code (default namespace), as `listAuthSubject` names them.
        let by_id = match target_type {
            TargetType::Role => self
                .store
                .get_role(pool_id, identifier.trim())
                .await?
                .map(|r| r.id),
            TargetType::Group => self
                .store
                .get_group(pool_id, identifier.trim())
                .await?
                .map(|g| g.id),
            _ => None,
        };
        let id = match by_id {
            Some(id) => id,
            None => self.target_id(pool, target_type, identifier, None).await?,
        };
        let held = match target_type {
            TargetType::User => self
                .store
                .user_subjects(pool_id, &id)
                .await?
                .ok_or(Error::UserNotFound)?
                .targets(false),
            TargetType::OrgNode => self
                .node_required(pool, &id)
                .await?
                .path
                .into_iter()
                .map(|n| (TargetType::OrgNode, n))
                .collect(),
            other => vec![(other, id.clone())],
        };
        let rules = self.store.app_access_rules(pool_id, &held).await?;
        let mine: Vec<&AppAccessRule> = rules.iter().filter(|r| r.app_id == app.id).collect();
        let basis = self
            .basis(
                pool_id,
                &mine,
                (target_type, &id),
                default_access_allows(&config),
            )
            .await?;
        let subject_name = self.subject_name(pool_id, target_type, &id).await?;
        Ok(SubjectAccess {
            app,
            subject_type: target_type,
            subject_id: id,
            subject_name,
            basis,
        })
    }

    /// `listSubjectAuth`: the session user's access to every application of the pool, each
    /// with what decided it, oldest application first.
    pub async fn my_app_access(&self, s: &Session) -> Result<Vec<SubjectAccess>> {
        let pool_id = &s.pool().id;
        let user_id = &s.user().id;
        let subjects: Subjects = self
            .store
            .user_subjects(pool_id, user_id)
            .await?
            .ok_or(Error::UserNotFound)?;
        let rules = self
            .store
            .app_access_rules(pool_id, &subjects.targets(false))
            .await?;
        let subject_name = self
            .subject_name(pool_id, TargetType::User, user_id)
            .await?;
        let mut out = Vec::new();
        for (app, config) in self.store.apps_with_config(pool_id).await? {
            let mine: Vec<&AppAccessRule> = rules.iter().filter(|r| r.app_id == app.id).collect();
            let basis = self
                .basis(
                    pool_id,
                    &mine,
                    (TargetType::User, user_id),
                    default_access_allows(&config),
                )
                .await?;
            out.push(SubjectAccess {
                app,
                subject_type: TargetType::User,
                subject_id: user_id.clone(),
                subject_name: subject_name.clone(),
                basis,
            });
        }
        Ok(out)
    }

    async fn basis(
        &self,
        pool_id: &str,
        rules: &[&AppAccessRule],
        own: (TargetType, &str),
        allow_all: bool,
    ) -> Result<AccessBasis> {
        Ok(match deciding(rules, own) {
            None => AccessBasis::Default { allow_all },
            Some(r) if r.target_type == own.0 && r.target_id == own.1 => {
                AccessBasis::Own { allow: r.allow }
            }
            Some(r) => AccessBasis::Through {
                target_type: r.target_type,
                target_id: r.target_id.clone(),
                target_name: self
                    .subject_name(pool_id, r.target_type, &r.target_id)
                    .await?,
                allow: r.allow,
            },
        })
    }

    /// How a subject is called: a user's display name (nickname, name, username, email or
    /// phone, the first it has), a role's, group's or department's name.
    async fn subject_name(&self, pool_id: &str, t: TargetType, id: &str) -> Result<String> {
        Ok(match t {
            TargetType::User => super::qr_login::display_name(&self.user_by_id(pool_id, id).await?),
            TargetType::Role => {
                let role = self
                    .store
                    .get_role(pool_id, id)
                    .await?
                    .ok_or(Error::NotFound(Entity::Role))?;
                role.name.unwrap_or(role.code)
            }
            TargetType::Group => {
                self.store
                    .get_group(pool_id, id)
                    .await?
                    .ok_or(Error::NotFound(Entity::Group))?
                    .name
            }
            TargetType::OrgNode => {
                self.store
                    .get_node(pool_id, id)
                    .await?
                    .ok_or(Error::NotFound(Entity::OrgNode))?
                    .name
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(t: TargetType, id: &str, allow: bool) -> AppAccessRule {
        AppAccessRule {
            app_id: "a".into(),
            target_type: t,
            target_id: id.into(),
            allow,
        }
    }

    #[test]
    fn a_deny_through_a_role_beats_the_users_own_allow() {
        let own = rule(TargetType::User, "u", true);
        let deny = rule(TargetType::Role, "r", false);
        let rules = [&own, &deny];
        let d = deciding(&rules, (TargetType::User, "u")).map(|r| r.target_id.as_str());
        assert_eq!(d, Some("r"));
    }

    #[test]
    fn among_allows_the_subjects_own_rule_is_named() {
        let group = rule(TargetType::Group, "g", true);
        let own = rule(TargetType::User, "u", true);
        let rules = [&group, &own];
        let d = deciding(&rules, (TargetType::User, "u")).map(|r| r.target_id.as_str());
        assert_eq!(d, Some("u"));
        let none: [&AppAccessRule; 0] = [];
        assert!(deciding(&none, (TargetType::User, "u")).is_none());
    }
}
