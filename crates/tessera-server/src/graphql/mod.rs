//! A small GraphQL executor for the documents the Authing SDKs send.
//!
//! The SDKs send fixed documents (one named operation each, no fragments, fields sometimes
//! selected twice). Rather than a schema-first framework, a document is parsed into plain
//! [`Field`] trees with variables substituted; each root field is resolved by a façade into a
//! JSON value, and [`project`] cuts that value down to the selection set (aliases included).
//! A document is parsed once per process: its operation is kept as a template whose
//! variable-free parts every request shares.

use graphql_parser::query::{
    Definition, Document, OperationDefinition, Selection, SelectionSet, Value as GqlValue,
};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

mod limits;
pub mod serve;

/// One selected field with its arguments already evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub alias: Option<String>,
    pub name: String,
    pub args: Map<String, Value>,
    /// Shared by every request of the same document when nothing in it depends on variables.
    pub selection: Arc<[Field]>,
    /// No earlier field of this selection set has the same response key: the answer holds
    /// each key once, written where the key first appears.
    first: bool,
    /// A later field with the same response key has a sub-selection to merge with this one's.
    merge_later: bool,
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
    /// Over a limit on what one request may cost ([`limits`]).
    #[error(transparent)]
    Limit(#[from] limits::Refused),
}

impl ParseError {
    /// The request member at fault, as the wire names it.
    pub fn parameter(&self) -> &'static str {
        match self {
            ParseError::Limit(refused) => refused.parameter(),
            _ => "query",
        }
    }
}

const MAX_DEPTH: usize = 32;

/// An operation of a document as selected, before its variables are known: fragments are
/// inlined and every part that uses no variable is built once, as the [`Field`]s each request
/// shares. A pure function of the document text and the operation name.
struct Template {
    kind: OperationKind,
    name: Option<String>,
    fields: Vec<TField>,
    /// What each request's variables are checked against.
    shape: limits::Shape,
}

struct TField {
    alias: Option<String>,
    name: String,
    args: Vec<(String, GqlValue<'static, String>)>,
    selection: TSelection,
    first: bool,
    merge_later: bool,
}

enum TSelection {
    /// No variable anywhere below: the fields themselves.
    Fixed(Arc<[Field]>),
    /// Some field below takes a variable: built per request.
    Templated(Vec<TField>),
}

/// Operation templates by document text, then operation name. The SDKs send a fixed set of
/// documents, and parsing one (and building its field tree) costs far more than reading its
/// variables, so each is prepared once per process. Nothing in it depends on the store or the
/// caller. Bounded: when full it starts over, so arbitrary documents cannot grow it.
type Templates = HashMap<Box<str>, Vec<(Option<Box<str>>, Arc<Template>)>>;

static TEMPLATES: std::sync::LazyLock<Mutex<Templates>> =
    std::sync::LazyLock::new(|| Mutex::new(HashMap::new()));

const TEMPLATES_MAX: usize = 512;
/// Longer texts are prepared every time rather than kept.
const TEMPLATE_MAX_LEN: usize = 16 * 1024;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn template(query: &str, operation_name: Option<&str>) -> Result<Arc<Template>, ParseError> {
    let cacheable = query.len() <= TEMPLATE_MAX_LEN;
    if cacheable {
        let templates = lock(&TEMPLATES);
        let known = templates.get(query).and_then(|ops| {
            ops.iter()
                .find(|(name, _)| name.as_deref() == operation_name)
        });
        if let Some((_, t)) = known {
            return Ok(Arc::clone(t));
        }
    }
    let t = Arc::new(prepare(query, operation_name)?);
    if cacheable {
        let mut templates = lock(&TEMPLATES);
        if templates.len() >= TEMPLATES_MAX {
            templates.clear();
        }
        let ops = templates.entry(query.into()).or_default();
        // A document names few operations; a client cycling through made-up names must
        // not grow one entry without bound either.
        if ops.len() >= 16 {
            ops.clear();
        }
        if !ops
            .iter()
            .any(|(name, _)| name.as_deref() == operation_name)
        {
            ops.push((operation_name.map(Into::into), Arc::clone(&t)));
        }
    }
    Ok(t)
}

fn prepare(query: &str, operation_name: Option<&str>) -> Result<Template, ParseError> {
    let doc: Document<'static, String> = graphql_parser::parse_query::<String>(query)
        .map_err(|e| ParseError::Syntax(e.to_string()))?
        .into_static();
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
    let (kind, set) = match op {
        OperationDefinition::Query(q) => (OperationKind::Query, &q.selection_set),
        OperationDefinition::SelectionSet(s) => (OperationKind::Query, s),
        OperationDefinition::Mutation(m) => (OperationKind::Mutation, &m.selection_set),
        OperationDefinition::Subscription(_) => return Err(ParseError::Subscription),
    };
    // Measured before anything is inlined: inlining is what a fragment bomb exploits.
    let shape = limits::measure(&doc, op)?;
    let cx = Cx {
        fragments: &fragments,
    };
    Ok(Template {
        kind,
        name,
        fields: cx.fields(set, 0)?,
        shape,
    })
}

pub fn parse(
    query: &str,
    operation_name: Option<&str>,
    variables: &Map<String, Value>,
) -> Result<Operation, ParseError> {
    let t = template(query, operation_name)?;
    t.shape.check_variables(variables)?;
    Ok(Operation {
        kind: t.kind,
        name: t.name.clone(),
        fields: instantiate(&t.fields, variables),
    })
}

/// The fields of `template` with this request's `variables`.
fn instantiate(template: &[TField], variables: &Map<String, Value>) -> Vec<Field> {
    template
        .iter()
        .map(|t| Field {
            alias: t.alias.clone(),
            name: t.name.clone(),
            args: eval_args(&t.args, variables),
            selection: match &t.selection {
                TSelection::Fixed(fields) => Arc::clone(fields),
                TSelection::Templated(fields) => instantiate(fields, variables).into(),
            },
            first: t.first,
            merge_later: t.merge_later,
        })
        .collect()
}

/// How a field relates to the others of its selection set with the same name or key.
struct Marks {
    first: bool,
    merge_later: bool,
}

/// [`Marks`] for each of `fields`, given each one's (response key, has a sub-selection). Quadratic, so it runs once per document (templates) or on the rare merged
/// selection, never per field of every answer.
fn duplicates<T>(fields: &[T], facts: impl Fn(&T) -> (&str, bool)) -> Vec<Marks> {
    let facts: Vec<_> = fields.iter().map(facts).collect();
    facts
        .iter()
        .enumerate()
        .map(|(i, &(key, nested))| {
            let later = &facts[i + 1..];
            let first = !facts[..i].iter().any(|&(k, _)| k == key);
            Marks {
                first,
                merge_later: first && nested && later.iter().any(|&(k, n)| k == key && n),
            }
        })
        .collect()
}

/// Arguments with their variables substituted; an argument that comes out null is left out.
fn eval_args(
    args: &[(String, GqlValue<'static, String>)],
    variables: &Map<String, Value>,
) -> Map<String, Value> {
    args.iter()
        .map(|(k, v)| (k.clone(), value(v, variables)))
        .filter(|(_, v)| !v.is_null())
        .collect()
}

fn value(v: &GqlValue<'static, String>, variables: &Map<String, Value>) -> Value {
    match v {
        GqlValue::Variable(name) => variables.get(name).cloned().unwrap_or(Value::Null),
        GqlValue::Int(n) => n.as_i64().map_or(Value::Null, |n| Value::Number(n.into())),
        GqlValue::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        GqlValue::String(s) => Value::String(s.clone()),
        GqlValue::Boolean(b) => Value::Bool(*b),
        GqlValue::Null => Value::Null,
        GqlValue::Enum(e) => Value::String(e.clone()),
        GqlValue::List(items) => Value::Array(items.iter().map(|i| value(i, variables)).collect()),
        GqlValue::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), value(v, variables)))
                .collect(),
        ),
    }
}

fn uses_variables(v: &GqlValue<'static, String>) -> bool {
    match v {
        GqlValue::Variable(_) => true,
        GqlValue::List(items) => items.iter().any(uses_variables),
        GqlValue::Object(map) => map.values().any(uses_variables),
        _ => false,
    }
}

struct Cx<'a> {
    fragments: &'a HashMap<String, &'a SelectionSet<'static, String>>,
}

impl Cx<'_> {
    /// A selection set as templates, fragments inlined.
    fn fields(
        &self,
        set: &SelectionSet<'static, String>,
        depth: usize,
    ) -> Result<Vec<TField>, ParseError> {
        let mut out = Vec::new();
        self.collect(set, depth, &mut out)?;
        // Keys are known before any variable: mark each key selected again.
        let marks = duplicates(&out, |f| {
            let key = f.alias.as_deref().unwrap_or(&f.name);
            let nested = match &f.selection {
                TSelection::Fixed(fields) => !fields.is_empty(),
                TSelection::Templated(fields) => !fields.is_empty(),
            };
            (key, nested)
        });
        for (f, m) in out.iter_mut().zip(marks) {
            (f.first, f.merge_later) = (m.first, m.merge_later);
        }
        Ok(out)
    }

    fn collect(
        &self,
        set: &SelectionSet<'static, String>,
        depth: usize,
        out: &mut Vec<TField>,
    ) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            return Err(ParseError::TooDeep);
        }
        for sel in &set.items {
            match sel {
                Selection::Field(f) => {
                    let children = self.fields(&f.selection_set, depth + 1)?;
                    out.push(TField {
                        alias: f.alias.clone(),
                        name: f.name.clone(),
                        args: f.arguments.clone(),
                        selection: fixed_if_possible(children),
                        first: true,
                        merge_later: false,
                    });
                }
                // Type conditions are not checked: every field the SDKs select exists on the
                // one concrete type a resolver returns.
                Selection::InlineFragment(i) => self.collect(&i.selection_set, depth + 1, out)?,
                Selection::FragmentSpread(s) => {
                    let set = self
                        .fragments
                        .get(&s.fragment_name)
                        .ok_or_else(|| ParseError::UnknownFragment(s.fragment_name.clone()))?;
                    self.collect(set, depth + 1, out)?;
                }
            }
        }
        Ok(())
    }
}

/// A selection set that uses no variable, built once; otherwise kept as a template.
fn fixed_if_possible(fields: Vec<TField>) -> TSelection {
    let fixed = fields.iter().all(|f| {
        matches!(f.selection, TSelection::Fixed(_))
            && !f.args.iter().any(|(_, v)| uses_variables(v))
    });
    if fixed {
        TSelection::Fixed(instantiate(&fields, &Map::new()).into())
    } else {
        TSelection::Templated(fields)
    }
}

/// Writes `value` cut down to `selection` as JSON: objects keep the selected keys (under
/// their aliases, missing ones as null, each key once, in selection order as GraphQL orders
/// an answer; the sub-selections of a key selected twice merge), lists are projected
/// element-wise, scalars pass through. Nothing is copied or rebuilt on the way: an answer's
/// objects are read in place and written once.
pub fn write_projected(value: &Value, selection: &[Field], out: &mut Vec<u8>) {
    if selection.is_empty() {
        write_value(value, out);
        return;
    }
    match value {
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_projected(item, selection, out);
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(selection, out, |name, sel, out| {
            write_projected(map.get(name).unwrap_or(&Value::Null), sel, out);
        }),
        scalar => write_value(scalar, out),
    }
}

/// An object answer that writes its own fields instead of being built as a `Value` first.
pub trait ObjectAnswer {
    /// Writes field `name` projected onto `selection` as [`write_projected`] would write the
    /// field's value; `null` for a name the object does not have.
    fn write_field(&self, name: &str, selection: &[Field], out: &mut Vec<u8>);
    /// The whole object, for a selection that names no field.
    fn to_value(&self) -> Value;
}

/// `object` projected onto `selection`, as [`write_projected`] projects a `Value` object.
pub fn write_object_answer(object: &dyn ObjectAnswer, selection: &[Field], out: &mut Vec<u8>) {
    if selection.is_empty() {
        write_value(&object.to_value(), out);
        return;
    }
    write_object(selection, out, |name, sel, out| {
        object.write_field(name, sel, out)
    });
}

/// An object cut to `selection`: each response key once (the first field with it; the
/// sub-selections of a key selected twice merge), its value written by `field`.
fn write_object(
    selection: &[Field],
    out: &mut Vec<u8>,
    mut field: impl FnMut(&str, &[Field], &mut Vec<u8>),
) {
    out.push(b'{');
    let mut comma = false;
    for (i, f) in selection.iter().enumerate() {
        if !f.first {
            continue;
        }
        if comma {
            out.push(b',');
        }
        comma = true;
        write_str(f.key(), out);
        out.push(b':');
        if f.merge_later {
            field(&f.name, &merged_selection(&selection[i..]), out);
        } else {
            field(&f.name, &f.selection, out);
        }
    }
    out.push(b'}');
}

/// The sub-selections of `fields[0]` and of every later field with its response key, as one
/// selection set.
fn merged_selection(fields: &[Field]) -> Vec<Field> {
    let key = fields[0].key();
    let mut merged: Vec<Field> = fields
        .iter()
        .filter(|g| g.key() == key)
        .flat_map(|g| g.selection.iter().cloned())
        .collect();
    let marks = duplicates(&merged, |f| (f.key(), !f.selection.is_empty()));
    for (f, m) in merged.iter_mut().zip(marks) {
        (f.first, f.merge_later) = (m.first, m.merge_later);
    }
    merged
}

/// `v` as JSON.
pub fn write_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                write_value(item, out);
            }
            out.push(b'}');
        }
        // Writing JSON into a Vec cannot fail.
        Value::Number(n) => {
            let _ = serde_json::to_writer(&mut *out, n);
        }
    }
}

/// `s` as a JSON string. Most strings of an answer (ids, names, dates, addresses) need no
/// escape: those are copied as they are, which costs a scan instead of serde_json's
/// byte-by-byte escaper (a `getCurrentUser` answer writes about sixty of them). JSON escapes
/// only control characters, `"` and `\` (RFC 8259 §7); anything else goes through serde_json.
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    // A fold without early exit, which the compiler turns into a vector loop: the longest
    // strings of an answer (a token: 1.6 kB) are scanned 16 bytes at a time.
    let needs_escape = bytes.iter().fold(false, |acc, &b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if needs_escape {
        // Writing JSON into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
        return;
    }
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    out.extend_from_slice(bytes);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The answer writer's JSON is serde_json's, byte for byte.
    #[test]
    fn values_are_written_as_serde_json_writes_them() {
        let v = json!({
            "plain": "abc", "quote": "a\"b", "backslash": "a\\b", "newline": "a\nb",
            "control": "\u{1}\u{1f}", "unicode": "名字 é \u{2028} 😀", "slash": "a/b",
            "empty": "", "null": null, "t": true, "f": false, "int": -42, "float": 1.5,
            "big": u64::MAX, "list": [1, "x", null, {"k": [true]}], "nested": {"a": {"b": "c"}},
        });
        let mut out = Vec::new();
        write_value(&v, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&v).unwrap()
        );
        for s in ["", "x", "\"", "\\", "\u{0}", "\u{7f}", "tab\there", "é"] {
            let mut out = Vec::new();
            write_str(s, &mut out);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    fn project(value: Value, selection: &[Field]) -> Value {
        let mut out = Vec::new();
        write_projected(&value, selection, &mut out);
        serde_json::from_slice(&out).unwrap()
    }

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
            project(user, &f.selection),
            json!({"id": "u1", "phoneCountryCode": "+86", "customData": [{"key": "k", "value": "v"}]})
        );
    }

    #[test]
    fn absent_variables_are_null_and_arguments_drop() {
        let q = "query user($id: String) { user(id: $id) { id } }";
        let op = parse(q, None, &Map::new()).unwrap();
        assert!(op.fields[0].args.is_empty());
    }

    /// Duplicates, aliases, merged sub-selections (in lists too), lists, missing keys and
    /// scalars under a selection.
    #[test]
    fn projection_writes_each_key_once_in_selection_order() {
        let q = "query { u: user { id id a: id phone phone missing \
                 roles { code } roles { description code } tags { x } \
                 customData { key } customData { value } n { m { k } } scalar { y } } }";
        let op = parse(q, None, &Map::new()).unwrap();
        let sel = &op.fields[0].selection;
        let value = json!({"id": "u1", "phone": null, "extra": 1,
            "roles": [{"code": "r1", "description": "d", "x": 1}, {"code": "r2"}],
            "tags": [], "customData": [{"key": "k", "value": "v", "label": "l"}],
            "n": {"m": {"k": [1, 2], "z": true}}, "scalar": 5});
        let mut out = Vec::new();
        write_projected(&value, sel, &mut out);
        let written: Value = serde_json::from_slice(&out).unwrap();
        // Sub-selections of a key selected twice merge, in lists too.
        assert_eq!(
            written,
            json!({"id": "u1", "a": "u1", "phone": null, "missing": null,
                "roles": [{"code": "r1", "description": "d"}, {"code": "r2", "description": null}],
                "tags": [], "customData": [{"key": "k", "value": "v"}],
                "n": {"m": {"k": [1, 2]}}, "scalar": 5})
        );
        // Each key once, in selection order.
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(r#"{"id":"u1","a":"u1","phone":null,"missing":null,"roles":"#));
        assert_eq!(text.matches("\"code\"").count(), 2, "{text}");
        // A list at the top, projected element-wise.
        let listed = project(json!([{"id": 1, "q": 2}]), sel);
        assert_eq!(listed[0]["id"], 1);
        assert_eq!(listed[0]["a"], 1);
        assert!(listed[0].get("q").is_none());
    }

    #[test]
    fn aliases_and_fragments() {
        let q = "query { a: user { ...F } } fragment F on User { id }";
        let op = parse(q, None, &Map::new()).unwrap();
        let out = project(json!({"id": "1", "x": 2}), &op.fields[0].selection);
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
    fn nested_variables_are_per_request_and_fixed_parts_are_shared() {
        let q = "query u($ns: String) { user { id a: id roles(namespace: $ns) { code } photo } }";
        let one = json!({ "ns": "n1" });
        let two = json!({ "ns": "n2" });
        let a = parse(q, None, one.as_object().unwrap()).unwrap();
        let b = parse(q, None, two.as_object().unwrap()).unwrap();
        let roles = |op: &Operation| op.fields[0].child("roles").unwrap().clone();
        assert_eq!(roles(&a).args["namespace"], "n1");
        assert_eq!(roles(&b).args["namespace"], "n2");
        assert!(Arc::ptr_eq(&roles(&a).selection, &roles(&b).selection));
        // `id` is selected twice (once aliased): both keys get the value.
        let user = json!({"id": "u1", "photo": "p", "roles": [{"code": "r", "x": 1}]});
        assert_eq!(
            project(user, &a.fields[0].selection),
            json!({"id": "u1", "a": "u1", "roles": [{"code": "r"}], "photo": "p"})
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
