//! A small GraphQL executor for the documents the Authing SDKs send.
//!
//! The SDKs send fixed documents (one named operation each, no fragments, fields sometimes
//! selected twice). Rather than a schema-first framework, a document is parsed into plain
//! [`Field`] trees with variables substituted; each root field is resolved by a façade into a
//! JSON value, and [`project`] cuts that value down to the selection set (aliases included).

use graphql_parser::query::{
    Definition, Document, OperationDefinition, Selection, SelectionSet, Value as GqlValue,
};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One selected field with its arguments already evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub alias: Option<String>,
    pub name: String,
    pub args: Map<String, Value>,
    pub selection: Vec<Field>,
}

impl Field {
    /// The response key: the alias, or the name.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }

    /// The first selected sub-field called `name`.
    pub fn child(&self, name: &str) -> Option<&Field> {
        self.selection.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    Query,
    Mutation,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub kind: OperationKind,
    pub name: Option<String>,
    pub fields: Vec<Field>,
}

/// Why a request could not be executed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("syntax error: {0}")]
    Syntax(String),
    #[error("the document has no operation")]
    NoOperation,
    #[error("the document has several operations; name one with operationName")]
    Ambiguous,
    #[error("unknown fragment {0}")]
    UnknownFragment(String),
    #[error("subscriptions are not supported")]
    Subscription,
    #[error("the document is nested too deeply")]
    TooDeep,
}

const MAX_DEPTH: usize = 32;

/// Parsed documents by their text. The SDKs send a fixed set of documents, and parsing one
/// costs far more than reading its fields, so each text is parsed once per process. A pure
/// memo of the text's syntax tree: nothing in it depends on the store or the caller. Bounded:
/// when full it starts over, so arbitrary documents cannot grow it.
struct DocCache {
    docs: Mutex<HashMap<Box<str>, Arc<Document<'static, String>>>>,
}

const DOC_CACHE_MAX: usize = 512;
/// Longer texts are parsed every time rather than kept.
const DOC_CACHE_MAX_LEN: usize = 16 * 1024;

static DOC_CACHE: std::sync::LazyLock<DocCache> = std::sync::LazyLock::new(|| DocCache {
    docs: Mutex::new(HashMap::new()),
});

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn parse_document(query: &str) -> Result<Arc<Document<'static, String>>, ParseError> {
    let cacheable = query.len() <= DOC_CACHE_MAX_LEN;
    if cacheable {
        if let Some(doc) = lock(&DOC_CACHE.docs).get(query) {
            return Ok(Arc::clone(doc));
        }
    }
    let doc: Document<String> =
        graphql_parser::parse_query(query).map_err(|e| ParseError::Syntax(e.to_string()))?;
    let doc = Arc::new(doc.into_static());
    if cacheable {
        let mut docs = lock(&DOC_CACHE.docs);
        if docs.len() >= DOC_CACHE_MAX {
            docs.clear();
        }
        docs.insert(query.into(), Arc::clone(&doc));
    }
    Ok(doc)
}

pub fn parse(
    query: &str,
    operation_name: Option<&str>,
    variables: &Map<String, Value>,
) -> Result<Operation, ParseError> {
    let doc = parse_document(query)?;
    let mut fragments = HashMap::new();
    let mut ops = Vec::new();
    for def in &doc.definitions {
        match def {
            Definition::Fragment(f) => {
                fragments.insert(f.name.clone(), &f.selection_set);
            }
            Definition::Operation(op) => ops.push(op),
        }
    }
    let pick = |op: &&OperationDefinition<'static, String>| -> Option<String> {
        match op {
            OperationDefinition::Query(q) => q.name.clone(),
            OperationDefinition::Mutation(m) => m.name.clone(),
            OperationDefinition::Subscription(s) => s.name.clone(),
            OperationDefinition::SelectionSet(_) => None,
        }
    };
    let op = match operation_name {
        Some(n) => ops
            .iter()
            .find(|o| pick(o).as_deref() == Some(n))
            .ok_or(ParseError::NoOperation)?,
        None => match ops.as_slice() {
            [one] => one,
            [] => return Err(ParseError::NoOperation),
            _ => return Err(ParseError::Ambiguous),
        },
    };
    let name = pick(op);
    let cx = Cx {
        fragments: &fragments,
        variables,
    };
    let (kind, set) = match op {
        OperationDefinition::Query(q) => (OperationKind::Query, &q.selection_set),
        OperationDefinition::SelectionSet(s) => (OperationKind::Query, s),
        OperationDefinition::Mutation(m) => (OperationKind::Mutation, &m.selection_set),
        OperationDefinition::Subscription(_) => return Err(ParseError::Subscription),
    };
    Ok(Operation {
        kind,
        name,
        fields: cx.fields(set, 0)?,
    })
}

struct Cx<'a> {
    fragments: &'a HashMap<String, &'a SelectionSet<'static, String>>,
    variables: &'a Map<String, Value>,
}

impl Cx<'_> {
    fn fields(
        &self,
        set: &SelectionSet<'static, String>,
        depth: usize,
    ) -> Result<Vec<Field>, ParseError> {
        if depth > MAX_DEPTH {
            return Err(ParseError::TooDeep);
        }
        let mut out = Vec::new();
        for sel in &set.items {
            match sel {
                Selection::Field(f) => {
                    let args = f
                        .arguments
                        .iter()
                        .map(|(k, v)| (k.clone(), self.value(v)))
                        .filter(|(_, v)| !v.is_null())
                        .collect();
                    out.push(Field {
                        alias: f.alias.clone(),
                        name: f.name.clone(),
                        args,
                        selection: self.fields(&f.selection_set, depth + 1)?,
                    });
                }
                // Type conditions are not checked: every field the SDKs select exists on the
                // one concrete type a resolver returns.
                Selection::InlineFragment(i) => {
                    out.extend(self.fields(&i.selection_set, depth + 1)?)
                }
                Selection::FragmentSpread(s) => {
                    let set = self
                        .fragments
                        .get(&s.fragment_name)
                        .ok_or_else(|| ParseError::UnknownFragment(s.fragment_name.clone()))?;
                    out.extend(self.fields(set, depth + 1)?);
                }
            }
        }
        Ok(out)
    }

    fn value(&self, v: &GqlValue<'static, String>) -> Value {
        match v {
            GqlValue::Variable(name) => self.variables.get(name).cloned().unwrap_or(Value::Null),
            GqlValue::Int(n) => n.as_i64().map_or(Value::Null, |n| Value::Number(n.into())),
            GqlValue::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            GqlValue::String(s) => Value::String(s.clone()),
            GqlValue::Boolean(b) => Value::Bool(*b),
            GqlValue::Null => Value::Null,
            GqlValue::Enum(e) => Value::String(e.clone()),
            GqlValue::List(items) => Value::Array(items.iter().map(|i| self.value(i)).collect()),
            GqlValue::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.value(v)))
                    .collect(),
            ),
        }
    }
}

/// Cuts `value` down to `selection`: objects keep the selected keys (under their aliases,
/// missing ones as null), lists are projected element-wise, scalars pass through.
pub fn project(value: &Value, selection: &[Field]) -> Value {
    if selection.is_empty() {
        return value.clone();
    }
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| project(v, selection)).collect()),
        Value::Object(map) => {
            let mut out = Map::new();
            for f in selection {
                let v = map.get(&f.name).unwrap_or(&Value::Null);
                let projected = project(v, &f.selection);
                // A field selected twice merges its sub-selections.
                match (out.get_mut(f.key()), projected) {
                    (Some(Value::Object(existing)), Value::Object(more)) => existing.extend(more),
                    (_, p) => {
                        out.insert(f.key().to_owned(), p);
                    }
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sdk_documents_parse_with_duplicates_and_nested_arguments() {
        let q = "\n    mutation loginByEmail($input: LoginByEmailInput!) {\n  loginByEmail(input: $input) {\n    id\n    phoneCountryCode\n    phoneCountryCode\n    customData { key value }\n  }\n}\n    ";
        let vars = json!({"input": {"email": "a@b.c", "password": "x"}});
        let op = parse(q, None, vars.as_object().unwrap()).unwrap();
        assert_eq!(op.kind, OperationKind::Mutation);
        let f = &op.fields[0];
        assert_eq!(f.name, "loginByEmail");
        assert_eq!(f.args["input"]["email"], "a@b.c");
        let user = json!({"id": "u1", "phoneCountryCode": "+86", "password": "h",
            "customData": [{"key": "k", "value": "v", "dataType": "STRING"}]});
        assert_eq!(
            project(&user, &f.selection),
            json!({"id": "u1", "phoneCountryCode": "+86", "customData": [{"key": "k", "value": "v"}]})
        );
    }

    #[test]
    fn absent_variables_are_null_and_arguments_drop() {
        let q = "query user($id: String) { user(id: $id) { id } }";
        let op = parse(q, None, &Map::new()).unwrap();
        assert!(op.fields[0].args.is_empty());
    }

    #[test]
    fn aliases_and_fragments() {
        let q = "query { a: user { ...F } } fragment F on User { id }";
        let op = parse(q, None, &Map::new()).unwrap();
        let out = project(&json!({"id": "1", "x": 2}), &op.fields[0].selection);
        assert_eq!(op.fields[0].key(), "a");
        assert_eq!(out, json!({"id": "1"}));
    }

    #[test]
    fn a_cached_document_takes_each_request_s_variables() {
        let q = "query c($token: String) { checkLoginStatus(token: $token) { status } }";
        for t in ["a", "b", "a"] {
            let vars = json!({ "token": t });
            let op = parse(q, None, vars.as_object().unwrap()).unwrap();
            assert_eq!(op.fields[0].args["token"], t);
        }
        assert!(parse(q, Some("other"), &Map::new()).is_err());
        assert!(parse("query {", None, &Map::new()).is_err());
        assert!(
            parse("query {", None, &Map::new()).is_err(),
            "errors are not cached as documents"
        );
    }

    #[test]
    fn garbage_is_a_syntax_error() {
        assert!(matches!(
            parse("mutation {", None, &Map::new()),
            Err(ParseError::Syntax(_))
        ));
        assert!(parse("", None, &Map::new()).is_err());
    }
}
