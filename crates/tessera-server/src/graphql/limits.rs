//! What one GraphQL request may cost, decided before anything of it runs.
//!
//! A document is measured as it would be executed, fragments inlined, but without inlining
//! them: each fragment's cost is computed once, in dependency order, and a spread adds it.
//! So a document whose fragments each spread the next twice (2^n fields from a few hundred
//! bytes) is refused after reading it once, and a fragment cycle is found rather than
//! followed. The measure is a pure function of the document, kept in its template: the
//! SDK's fixed documents are measured once per process, and each request only checks its
//! variables against what the document does with them ([`Shape::check_variables`]).
//!
//! The limits, against the largest of the 142 documents authing-js-sdk 4.23.55 sends
//! (`v2-operations.graphql`: each has one root field, no alias and no fragment; the largest
//! selects 69 fields (`addMember`), the deepest nests 5 (`getUserRoles`), the most variables
//! are 9, each used once, in 147 bytes of arguments at most):
//! - [`MAX_FIELDS`] fields after expansion, [`MAX_FIELD_DEPTH`] nested fields;
//! - [`MAX_ROOT_FIELDS`] root fields and [`MAX_ALIASES`] aliases: each root field is one
//!   call into the core, each alias one more copy of an answer;
//! - at most one credential-checking root field ([`checks_credentials`]): one request buys at
//!   most one password check, code check, code sent or password hashed;
//! - [`MAX_ARGUMENT_BYTES`] of argument text after expansion, and [`MAX_VARIABLES`]
//!   variables whose values, counted once per use, come to [`MAX_SUBSTITUTED_BYTES`]: a
//!   variable is copied into every argument that uses it.

use std::collections::HashMap;

use graphql_parser::query::{
    Definition, Document, OperationDefinition, Selection, SelectionSet, Value as GqlValue,
};
use serde_json::{Map, Value};

/// Fields after fragments are inlined (the SDK's largest document: 69).
pub const MAX_FIELDS: u64 = 500;
/// Fields nested in fields (the SDK's deepest: 5).
pub const MAX_FIELD_DEPTH: u64 = 10;
/// Root fields, each resolved by a call into the core (the SDK sends one).
pub const MAX_ROOT_FIELDS: u64 = 10;
/// Aliased fields anywhere in the operation (the SDK sends none).
pub const MAX_ALIASES: u64 = 30;
/// Root fields that check a credential, send a code or hash a password.
pub const MAX_CREDENTIAL_FIELDS: u64 = 1;
/// Argument text after expansion: literals, and each variable reference as its name (the
/// SDK's most: 147).
pub const MAX_ARGUMENT_BYTES: u64 = 64 * 1024;
/// Variables in a request, and distinct variable names in a document (the SDK's most: 9).
pub const MAX_VARIABLES: usize = 64;
/// The request's variable values as JSON, each counted once per use in the document. The
/// SDK uses each variable once, so any request within the body limit passes; a large value
/// used many times does not.
pub const MAX_SUBSTITUTED_BYTES: u64 = 2 * 1024 * 1024;

/// Root fields that check a credential (a password, a code, the pool secret), send a code,
/// or hash a password, in either SDK client's meaning of the name.
const CREDENTIAL_FIELDS: [&str; 33] = [
    "accessToken",
    "loginByEmail",
    "loginByUsername",
    "loginByPhonePassword",
    "loginByPhoneCode",
    "loginBySubAccount",
    "registerByEmail",
    "registerByUsername",
    "registerByPhoneCode",
    "sendEmail",
    "sendFirstLoginVerifyEmail",
    "resetPassword",
    "resetPasswordByFirstLoginToken",
    "resetPasswordByForceResetToken",
    "updatePassword",
    "bindPhone",
    "updatePhone",
    "bindEmail",
    "updateEmail",
    "createUser",
    "createUserWithCustomData",
    // The management meaning takes a password to hash.
    "updateUser",
    // The legacy SDK's (`v1-legacy-wire.md` §9).
    "getClientWhenSdkInit",
    "login",
    "register",
    "checkPhoneCode",
    "sendChangeEmailVerifyCode",
    "sendResetPasswordEmail",
    "verifyResetPasswordVerifyCode",
    "changePassword",
    "sendVerifyEmail",
    "loginByAd",
    "LoginByLDAP",
];

/// Whether a root field of this name checks a credential, sends a code or hashes a password.
pub fn checks_credentials(name: &str) -> bool {
    CREDENTIAL_FIELDS.contains(&name)
}

/// Why a document or its variables were refused before running.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("fragment {0} spreads itself")]
    FragmentCycle(String),
    #[error("unknown fragment {0}")]
    UnknownFragment(String),
    #[error("more than {MAX_FIELDS} fields once fragments are inlined")]
    TooManyFields,
    #[error("fields nested more than {MAX_FIELD_DEPTH} deep")]
    TooDeep,
    #[error("more than {MAX_ROOT_FIELDS} root fields")]
    TooManyRootFields,
    #[error("more than {MAX_ALIASES} aliases")]
    TooManyAliases,
    #[error("more than one root field that checks a credential")]
    SeveralCredentialChecks,
    #[error("more than {MAX_ARGUMENT_BYTES} bytes of arguments once fragments are inlined")]
    ArgumentsTooLarge,
    #[error("more than {MAX_VARIABLES} variable names in the document")]
    TooManyVariableNames,
    #[error("more than {MAX_VARIABLES} variables")]
    TooManyVariables,
    #[error("variables come to more than {MAX_SUBSTITUTED_BYTES} bytes once substituted")]
    VariablesTooLarge,
}

impl Refused {
    /// The request member at fault, as the wire names it.
    pub fn parameter(&self) -> &'static str {
        match self {
            Refused::TooManyVariables | Refused::VariablesTooLarge => "variables",
            _ => "query",
        }
    }
}

/// What a template keeps of its measure: how often each variable is used.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    variable_uses: Box<[(Box<str>, u64)]>,
}

impl Shape {
    /// A request's variables against the document: how many, and how many bytes they
    /// come to once each is copied into every argument that uses it. Linear in the size of
    /// the variables the document uses.
    pub fn check_variables(&self, variables: &Map<String, Value>) -> Result<(), Refused> {
        if variables.len() > MAX_VARIABLES {
            return Err(Refused::TooManyVariables);
        }
        let mut total: u64 = 0;
        for (name, uses) in self.variable_uses.iter() {
            if let Some(v) = variables.get(&**name) {
                total = total.saturating_add(json_size(v).saturating_mul(*uses));
                if total > MAX_SUBSTITUTED_BYTES {
                    return Err(Refused::VariablesTooLarge);
                }
            }
        }
        Ok(())
    }
}

/// Roughly the length of `v` as JSON text.
fn json_size(v: &Value) -> u64 {
    match v {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 8,
        Value::String(s) => s.len() as u64 + 2,
        Value::Array(items) => items.iter().map(|i| json_size(i) + 1).sum::<u64>() + 2,
        Value::Object(map) => {
            map.iter()
                .map(|(k, v)| k.len() as u64 + 4 + json_size(v))
                .sum::<u64>()
                + 2
        }
    }
}

/// The cost of a selection set once its fragments are inlined. Every count saturates: a
/// fragment bomb's true size does not fit in a `u64`, and only "too large" matters.
#[derive(Clone, Default)]
struct Cost {
    fields: u64,
    aliases: u64,
    depth: u64,
    argument_bytes: u64,
    /// Fields at the set's own level (the root fields, for an operation).
    top: u64,
    /// Of those, the ones that check a credential.
    top_credentials: u64,
    /// Uses of each variable, by its index in `Measure::variables`.
    variable_uses: Vec<u64>,
}

impl Cost {
    fn add(&mut self, other: &Cost) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.depth = self.depth.max(other.depth);
        self.argument_bytes = self.argument_bytes.saturating_add(other.argument_bytes);
        self.top = self.top.saturating_add(other.top);
        self.top_credentials = self.top_credentials.saturating_add(other.top_credentials);
        if self.variable_uses.len() < other.variable_uses.len() {
            self.variable_uses.resize(other.variable_uses.len(), 0);
        }
        for (mine, theirs) in self.variable_uses.iter_mut().zip(&other.variable_uses) {
            *mine = mine.saturating_add(*theirs);
        }
    }
}

type Set = SelectionSet<'static, String>;

struct Measure<'a> {
    /// The cost of each fragment, filled in dependency order.
    fragments: HashMap<&'a str, Cost>,
    /// Variable names met so far; at most [`MAX_VARIABLES`].
    variables: Vec<&'a str>,
}

/// Measures `op` of `doc` and refuses it if it is over a limit; otherwise what a request
/// needs to check its variables. Linear in the document's size (times the variables it
/// names, at most [`MAX_VARIABLES`]), whatever its fragments would expand to.
pub fn measure(
    doc: &Document<'static, String>,
    op: &OperationDefinition<'static, String>,
) -> Result<Shape, Refused> {
    let mut m = Measure {
        fragments: HashMap::new(),
        variables: Vec::new(),
    };
    m.fragments_in_order(doc)?;
    let set = match op {
        OperationDefinition::Query(q) => &q.selection_set,
        OperationDefinition::SelectionSet(s) => s,
        OperationDefinition::Mutation(m) => &m.selection_set,
        OperationDefinition::Subscription(s) => &s.selection_set,
    };
    let cost = m.set(set)?;
    let checks = [
        (cost.fields > MAX_FIELDS, Refused::TooManyFields),
        (cost.depth > MAX_FIELD_DEPTH, Refused::TooDeep),
        (cost.top > MAX_ROOT_FIELDS, Refused::TooManyRootFields),
        (cost.aliases > MAX_ALIASES, Refused::TooManyAliases),
        (
            cost.top_credentials > MAX_CREDENTIAL_FIELDS,
            Refused::SeveralCredentialChecks,
        ),
        (
            cost.argument_bytes > MAX_ARGUMENT_BYTES,
            Refused::ArgumentsTooLarge,
        ),
    ];
    if let Some((_, refused)) = checks.into_iter().find(|(over, _)| *over) {
        return Err(refused);
    }
    Ok(Shape {
        variable_uses: m
            .variables
            .iter()
            .zip(&cost.variable_uses)
            .filter(|(_, uses)| **uses > 0)
            .map(|(name, uses)| ((*name).into(), *uses))
            .collect(),
    })
}

impl<'a> Measure<'a> {
    /// Every fragment's cost, each computed after the fragments it spreads (Kahn's order,
    /// without recursion, so a long chain of fragments cannot exhaust the stack); what is
    /// left unordered is a cycle. A definition repeated under one name counts as its last,
    /// as the executor reads it.
    fn fragments_in_order(&mut self, doc: &'a Document<'static, String>) -> Result<(), Refused> {
        let mut defs: HashMap<&'a str, &'a Set> = HashMap::new();
        for def in &doc.definitions {
            if let Definition::Fragment(f) = def {
                defs.insert(f.name.as_str(), &f.selection_set);
            }
        }
        // For each fragment, the fragments it spreads (each once), and who spreads it.
        let mut waits_for: HashMap<&'a str, usize> = HashMap::new();
        let mut spread_by: HashMap<&'a str, Vec<&'a str>> = HashMap::new();
        for (&name, set) in &defs {
            let mut spreads = Vec::new();
            spreads_in(set, &mut spreads);
            spreads.sort_unstable();
            spreads.dedup();
            for &s in &spreads {
                if !defs.contains_key(s) {
                    return Err(Refused::UnknownFragment(s.to_owned()));
                }
                spread_by.entry(s).or_default().push(name);
            }
            waits_for.insert(name, spreads.len());
        }
        let mut ready: Vec<&'a str> = waits_for
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(name, _)| *name)
            .collect();
        while let Some(name) = ready.pop() {
            let Some(set) = defs.get(name) else { continue };
            let cost = self.set(set)?;
            self.fragments.insert(name, cost);
            for &user in spread_by.get(name).map(Vec::as_slice).unwrap_or_default() {
                if let Some(n) = waits_for.get_mut(user) {
                    *n -= 1;
                    if *n == 0 {
                        ready.push(user);
                    }
                }
            }
        }
        match waits_for
            .iter()
            .find(|(name, _)| !self.fragments.contains_key(**name))
        {
            Some((name, _)) => Err(Refused::FragmentCycle((*name).to_owned())),
            None => Ok(()),
        }
    }

    /// The cost of a selection set whose fragments are measured already. Recursion follows
    /// the nesting of one definition, which the parser bounds (50 brackets).
    fn set(&mut self, set: &'a Set) -> Result<Cost, Refused> {
        let mut cost = Cost::default();
        for sel in &set.items {
            match sel {
                Selection::Field(f) => {
                    let child = self.set(&f.selection_set)?;
                    let mut own = Cost {
                        fields: 1,
                        aliases: u64::from(f.alias.is_some()),
                        top: 1,
                        top_credentials: u64::from(checks_credentials(&f.name)),
                        ..Cost::default()
                    };
                    for (name, v) in &f.arguments {
                        own.argument_bytes = own
                            .argument_bytes
                            .saturating_add(name.len() as u64)
                            .saturating_add(self.value(v, &mut own.variable_uses)?);
                    }
                    let depth = child.depth.saturating_add(1);
                    let child = Cost {
                        top: 0,
                        top_credentials: 0,
                        ..child
                    };
                    own.add(&child);
                    own.depth = depth;
                    cost.add(&own);
                }
                Selection::InlineFragment(i) => {
                    let inner = self.set(&i.selection_set)?;
                    cost.add(&inner);
                }
                Selection::FragmentSpread(s) => {
                    let inner = self
                        .fragments
                        .get(s.fragment_name.as_str())
                        .ok_or_else(|| Refused::UnknownFragment(s.fragment_name.clone()))?;
                    cost.add(inner);
                }
            }
        }
        Ok(cost)
    }

    /// The text length of an argument value; each variable it names is counted as used.
    fn value(
        &mut self,
        v: &'a GqlValue<'static, String>,
        uses: &mut Vec<u64>,
    ) -> Result<u64, Refused> {
        Ok(match v {
            GqlValue::Variable(name) => {
                let i = self.variable_index(name)?;
                if uses.len() <= i {
                    uses.resize(i + 1, 0);
                }
                uses[i] += 1;
                name.len() as u64 + 1
            }
            GqlValue::String(s) => s.len() as u64 + 2,
            GqlValue::Enum(s) => s.len() as u64,
            GqlValue::Int(_) | GqlValue::Float(_) | GqlValue::Boolean(_) | GqlValue::Null => 8,
            GqlValue::List(items) => {
                let mut n: u64 = 2;
                for i in items {
                    n = n.saturating_add(self.value(i, uses)?.saturating_add(1));
                }
                n
            }
            GqlValue::Object(map) => {
                let mut n: u64 = 2;
                for (k, v) in map {
                    n = n.saturating_add(k.len() as u64 + 2);
                    n = n.saturating_add(self.value(v, uses)?);
                }
                n
            }
        })
    }

    fn variable_index(&mut self, name: &'a str) -> Result<usize, Refused> {
        if let Some(i) = self.variables.iter().position(|v| *v == name) {
            return Ok(i);
        }
        if self.variables.len() >= MAX_VARIABLES {
            return Err(Refused::TooManyVariableNames);
        }
        self.variables.push(name);
        Ok(self.variables.len() - 1)
    }
}

/// The names of the fragments `set` spreads, at any depth (not through other fragments).
fn spreads_in<'a>(set: &'a Set, out: &mut Vec<&'a str>) {
    for sel in &set.items {
        match sel {
            Selection::Field(f) => spreads_in(&f.selection_set, out),
            Selection::InlineFragment(i) => spreads_in(&i.selection_set, out),
            Selection::FragmentSpread(s) => out.push(s.fragment_name.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse, ParseError};
    use super::*;
    use serde_json::json;
    use std::time::{Duration, Instant};

    fn refused(query: &str, variables: Value) -> Option<Refused> {
        let vars = variables.as_object().cloned().unwrap_or_default();
        match parse(query, None, &vars) {
            Err(ParseError::Limit(r)) => Some(r),
            Err(other) => panic!("refused for another reason: {other}"),
            Ok(_) => None,
        }
    }

    /// Fragments that each spread the next twice: 2^n `id` fields from a few hundred bytes.
    fn fragment_bomb(n: usize) -> String {
        let mut q = String::from("query { user { ...F0 } }\n");
        for i in 0..n {
            q.push_str(&format!(
                "fragment F{i} on User {{ ...F{j} ...F{j} }}\n",
                j = i + 1
            ));
        }
        q.push_str(&format!("fragment F{n} on User {{ id }}\n"));
        q
    }

    #[test]
    fn a_fragment_bomb_is_refused_without_expanding_it() {
        // 2^18 fields: the executor used to build them all.
        assert_eq!(
            refused(&fragment_bomb(18), json!({})),
            Some(Refused::TooManyFields)
        );
        // 2^200 would never finish if anything were expanded.
        let started = Instant::now();
        assert_eq!(
            refused(&fragment_bomb(200), json!({})),
            Some(Refused::TooManyFields)
        );
        assert!(started.elapsed() < Duration::from_secs(1));
        // Within the budget, fragments still work.
        let small = fragment_bomb(3);
        assert!(refused(&small, json!({})).is_none());
        let op = parse(&small, None, &Map::new()).unwrap();
        assert_eq!(op.fields[0].selection.len(), 8);
    }

    #[test]
    fn fragment_cycles_and_unknown_fragments_are_refused() {
        let cycle =
            "query { user { ...A } } fragment A on User { id ...B } fragment B on User { ...A }";
        assert!(matches!(
            refused(cycle, json!({})),
            Some(Refused::FragmentCycle(_))
        ));
        // A fragment spreading itself twice used to double at every level until depth 32.
        let self_bomb = "query { user { ...A } } fragment A on User { id ...A ...A }";
        assert_eq!(
            refused(self_bomb, json!({})),
            Some(Refused::FragmentCycle("A".into()))
        );
        // Even in a fragment the operation does not use.
        let unused = "query { user { id } } fragment A on User { ...Nowhere }";
        assert_eq!(
            refused(unused, json!({})),
            Some(Refused::UnknownFragment("Nowhere".into()))
        );
        // A long chain is measured without recursion through it.
        let mut chain = String::from("query { user { ...F0 } }\n");
        for i in 0..5000 {
            chain.push_str(&format!("fragment F{i} on User {{ ...F{} }}\n", i + 1));
        }
        chain.push_str("fragment F5000 on User { id }\n");
        let vars = Map::new();
        assert!(parse(&chain, None, &vars).is_err(), "still too deep to run");
    }

    #[test]
    fn depth_root_fields_and_aliases_are_capped() {
        let nested = |n: usize| {
            format!(
                "query {{ {}id{} }}",
                "a { ".repeat(n - 1),
                " }".repeat(n - 1)
            )
        };
        assert!(refused(&nested(10), json!({})).is_none());
        assert_eq!(refused(&nested(11), json!({})), Some(Refused::TooDeep));

        let roots = |n: usize| {
            let fields: Vec<String> = (0..n)
                .map(|i| format!("u{i}: isUserExists(email: \"{i}\")"))
                .collect();
            format!("query {{ {} }}", fields.join(" "))
        };
        assert!(refused(&roots(10), json!({})).is_none());
        assert_eq!(
            refused(&roots(11), json!({})),
            Some(Refused::TooManyRootFields)
        );
        // Root fields brought in by a fragment count as root fields.
        let spread = format!(
            "query {{ ...R }} fragment R on Query {{ {} }}",
            (0..11)
                .map(|i| format!("u{i}: user {{ id }}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert_eq!(
            refused(&spread, json!({})),
            Some(Refused::TooManyRootFields)
        );

        let aliases = |n: usize| {
            let ids: Vec<String> = (0..n).map(|i| format!("a{i}: id")).collect();
            format!("query {{ user {{ {} }} }}", ids.join(" "))
        };
        assert!(refused(&aliases(30), json!({})).is_none());
        assert_eq!(
            refused(&aliases(31), json!({})),
            Some(Refused::TooManyAliases)
        );
    }

    #[test]
    fn one_credential_check_per_request() {
        let login = |alias: &str| format!("{alias}: loginByEmail(input: $input) {{ id }}");
        let one = format!(
            "mutation l($input: LoginByEmailInput!) {{ {} }}",
            login("a")
        );
        assert!(refused(&one, json!({})).is_none());
        let two = format!(
            "mutation l($input: LoginByEmailInput!) {{ {} {} }}",
            login("a"),
            login("b")
        );
        assert_eq!(
            refused(&two, json!({})),
            Some(Refused::SeveralCredentialChecks)
        );
        let mixed = "mutation { registerByEmail(input: {}) { id } sendEmail(email: \"a@b.c\", scene: RESET_PASSWORD) { code } }";
        assert_eq!(
            refused(mixed, json!({})),
            Some(Refused::SeveralCredentialChecks)
        );
        let management = "query { accessToken(userPoolId: \"p\", secret: \"s\") { accessToken } a: accessToken(userPoolId: \"p\", secret: \"t\") { accessToken } }";
        assert_eq!(
            refused(management, json!({})),
            Some(Refused::SeveralCredentialChecks)
        );
        // Only root fields count: a nested field of that name checks nothing.
        let nested = "query { user { loginByEmail updatePassword } checkPasswordStrength(password: \"x\") { valid } }";
        assert!(refused(nested, json!({})).is_none());
    }

    #[test]
    fn variables_are_counted_and_sized_by_their_uses() {
        let q = "query u($id: String) { user(id: $id) { id } }";
        let many: Map<String, Value> = (0..65).map(|i| (format!("v{i}"), json!(i))).collect();
        assert_eq!(
            refused(q, Value::Object(many)),
            Some(Refused::TooManyVariables)
        );
        let mb = "x".repeat(1024 * 1024);
        // Used once, a megabyte is what the SDK may send (a 1 MB nickname is refused later,
        // by the profile rules).
        assert!(refused(q, json!({ "id": mb })).is_none());
        let thrice = "query u($id: String) { user(id: $id) { id } a: user(id: $id) { id } b: user(id: $id) { id } }";
        assert_eq!(
            refused(thrice, json!({ "id": mb })),
            Some(Refused::VariablesTooLarge)
        );
        assert!(refused(thrice, json!({ "id": "u1" })).is_none());
        // Uses multiply through fragments.
        let through =
            "query u($id: String) { ...A ...A ...A } fragment A on Query { user(id: $id) { id } }";
        assert_eq!(
            refused(through, json!({ "id": mb })),
            Some(Refused::VariablesTooLarge)
        );
        let names: Vec<String> = (0..65).map(|i| format!("a{i}: $v{i}")).collect();
        let wide = format!(
            "query {{ user(input: {{ {} }}) {{ id }} }}",
            names.join(", ")
        );
        assert_eq!(
            refused(&wide, json!({})),
            Some(Refused::TooManyVariableNames)
        );
        assert_eq!(Refused::VariablesTooLarge.parameter(), "variables");
        assert_eq!(Refused::TooManyFields.parameter(), "query");
    }

    #[test]
    fn argument_text_counts_once_per_expansion() {
        let big = "y".repeat(1024);
        let q = format!(
            "query {{ user {{ ...A ...A ...A ...A ...A ...A ...A ...A }} }} fragment A on User {{ ...B ...B ...B ...B ...B ...B ...B ...B }} fragment B on User {{ roles(namespace: \"{big}\") {{ code }} }}"
        );
        assert_eq!(refused(&q, json!({})), Some(Refused::ArgumentsTooLarge));
    }

    /// The SDK's largest document (69 fields, 9 variables) and its deepest (5), as sent.
    const ADD_MEMBER: &str = "\n    mutation addMember($page: Int, $limit: Int, $sortBy: SortByEnum, $includeChildrenNodes: Boolean, $nodeId: String, $orgId: String, $nodeCode: String, $userIds: [String!]!, $isLeader: Boolean) {\n  addMember(nodeId: $nodeId, orgId: $orgId, nodeCode: $nodeCode, userIds: $userIds, isLeader: $isLeader) {\n    id\n    orgId\n    name\n    nameI18n\n    description\n    descriptionI18n\n    order\n    code\n    root\n    depth\n    path\n    createdAt\n    updatedAt\n    children\n    users(page: $page, limit: $limit, sortBy: $sortBy, includeChildrenNodes: $includeChildrenNodes) {\n      totalCount\n      list {\n        id\n        arn\n        userPoolId\n        username\n        status\n        email\n        emailVerified\n        phone\n        phoneVerified\n        unionid\n        openid\n        nickname\n        registerSource\n        photo\n        password\n        oauth\n        token\n        tokenExpiredAt\n        loginsCount\n        lastLogin\n        lastIP\n        signedUp\n        blocked\n        isDeleted\n        device\n        browser\n        company\n        name\n        givenName\n        familyName\n        middleName\n        profile\n        preferredUsername\n        website\n        gender\n        birthdate\n        zoneinfo\n        locale\n        address\n        formatted\n        streetAddress\n        locality\n        region\n        postalCode\n        city\n        province\n        country\n        createdAt\n        updatedAt\n        externalId\n        phoneCountryCode\n      }\n    }\n  }\n}\n    ";
    const GET_USER_ROLES: &str = "\n    query getUserRoles($id: String!, $namespace: String) {\n  user(id: $id) {\n    roles(namespace: $namespace) {\n      totalCount\n      list {\n        id\n        code\n        namespace\n        arn\n        description\n        createdAt\n        updatedAt\n        parent {\n          code\n          namespace\n          arn\n          description\n          createdAt\n          updatedAt\n        }\n      }\n    }\n  }\n}\n    ";

    #[test]
    fn the_sdk_s_largest_documents_pass() {
        // Ten thousand user ids: an administrator adding a whole department at once.
        let ids: Vec<String> = (0..10_000).map(|i| format!("user-id-{i:020}")).collect();
        let vars = json!({ "nodeId": "n", "userIds": ids, "page": 1, "limit": 10 });
        assert!(refused(ADD_MEMBER, vars).is_none());
        assert!(refused(GET_USER_ROLES, json!({ "id": "u" })).is_none());
    }
}
