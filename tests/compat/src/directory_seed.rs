//! The directory fixture the authz tests read (see the JS `authz` tests): a user who gets
//! resources through a group's role, a department's role, a grant on the org root, and who
//! is denied one application.

use tessera_core::model::directory::{ResourceType, TargetType};
use tessera_core::service::directory::{NewGroup, NewNode, NewRole};
use tessera_core::Core;

pub async fn seed_directory(core: &Core, pool_id: &str, user_id: &str) -> Result<(), String> {
    let e = |what: &'static str| move |err: tessera_core::Error| format!("{what}: {err}");
    let reader = core
        .create_role(
            pool_id,
            NewRole {
                code: "reader".into(),
                ..NewRole::default()
            },
        )
        .await
        .map_err(e("role reader"))?;
    let dept_role = core
        .create_role(
            pool_id,
            NewRole {
                code: "dept-role".into(),
                ..NewRole::default()
            },
        )
        .await
        .map_err(e("role dept-role"))?;
    let group = core
        .create_group(
            pool_id,
            NewGroup {
                code: "g-readers".into(),
                name: "Readers".into(),
                description: None,
            },
        )
        .await
        .map_err(e("group"))?;
    core.add_group_members(pool_id, &group.id, &[user_id.to_owned()])
        .await
        .map_err(e("group members"))?;
    core.assign_role(pool_id, &reader.id, TargetType::Group, &group.id)
        .await
        .map_err(e("assign reader"))?;
    let (org, root) = core
        .create_org(
            pool_id,
            NewNode {
                name: "Acme".into(),
                code: Some("acme".into()),
                ..NewNode::default()
            },
        )
        .await
        .map_err(e("org"))?;
    let eng = core
        .add_node(
            pool_id,
            &org.id,
            &root.node.id,
            NewNode {
                name: "Engineering".into(),
                code: Some("eng".into()),
                ..NewNode::default()
            },
        )
        .await
        .map_err(e("department"))?;
    core.add_node_members(pool_id, &eng.node.id, &[user_id.to_owned()], true)
        .await
        .map_err(e("department members"))?;
    core.assign_role(pool_id, &dept_role.id, TargetType::OrgNode, &eng.node.id)
        .await
        .map_err(e("assign dept-role"))?;
    let grants: [(&str, ResourceType, TargetType, &str, Vec<String>); 4] = [
        (
            "books:1",
            ResourceType::Data,
            TargetType::Role,
            &reader.id,
            vec!["books:read".into()],
        ),
        (
            "menu_a",
            ResourceType::Menu,
            TargetType::Role,
            &dept_role.id,
            vec![],
        ),
        (
            "api_orders",
            ResourceType::Api,
            TargetType::Group,
            &group.id,
            vec!["orders:list".into()],
        ),
        (
            "menu_b",
            ResourceType::Menu,
            TargetType::OrgNode,
            &root.node.id,
            vec![],
        ),
    ];
    core.create_resource(
        pool_id,
        tessera_core::service::directory::NewResource {
            namespace: "default".into(),
            code: "api_orders".into(),
            resource_type: ResourceType::Api,
            api_identifier: Some("https://api.example.com/orders".into()),
            ..Default::default()
        },
    )
    .await
    .map_err(e("resource api_orders"))?;
    for (code, ty, target, target_id, actions) in grants {
        core.authorize_resource_typed(
            pool_id,
            "default",
            code,
            Some(ty),
            target,
            target_id,
            actions,
        )
        .await
        .map_err(e("grant"))?;
    }
    let denied = core
        .create_application(pool_id, "Denied App")
        .await
        .map_err(e("app"))?;
    core.set_app_access(pool_id, &denied.id, TargetType::User, user_id, false)
        .await
        .map_err(e("app access"))?;
    Ok(())
}
