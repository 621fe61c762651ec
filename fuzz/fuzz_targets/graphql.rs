//! The GraphQL document parser, its limits and template instantiation with random variables,
//! then the projection of a random JSON answer onto each root field's selection.
//!
//! Input: the document text, then (after a NUL byte) the bytes that choose the operation
//! name, the variables and the answer. A seed is a plain document.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Number, Value};
use tessera_server::graphql::{self, Field};

fuzz_target!(|data: &[u8]| {
    let (text, rest) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(query) = std::str::from_utf8(text) else {
        return;
    };
    let mut u = Unstructured::new(rest);
    let _ = run(query, &mut u);
});

fn run(query: &str, u: &mut Unstructured) -> Result<()> {
    let words = words(query);
    let operation_name = match u.int_in_range(0..=2u8)? {
        0 => None,
        1 => Some(u.choose(&words).cloned().unwrap_or_default()),
        _ => Some(u.arbitrary::<String>()?),
    };
    let mut variables = Map::new();
    for _ in 0..u.int_in_range(0..=4u8)? {
        let key = key(u, &words)?;
        variables.insert(key, json(u, &words, 4)?);
    }
    let Ok(op) = graphql::parse(query, operation_name.as_deref(), &variables) else {
        return Ok(());
    };
    for field in &op.fields {
        let answer = json(u, &words, 6)?;
        let mut out = Vec::new();
        graphql::write_projected(&answer, &field.selection, &mut out);
        // Whatever the answer, what is written is one JSON value.
        if let Err(e) = serde_json::from_slice::<Value>(&out) {
            panic!(
                "projection wrote invalid JSON ({e}): {}",
                String::from_utf8_lossy(&out)
            );
        }
        check_keys(&answer, &field.selection, &out);
    }
    Ok(())
}

/// An object projected onto a selection has exactly the selection's response keys.
fn check_keys(answer: &Value, selection: &[Field], out: &[u8]) {
    let (Value::Object(_), false) = (answer, selection.is_empty()) else {
        return;
    };
    let Ok(Value::Object(written)) = serde_json::from_slice::<Value>(out) else {
        panic!("an object projected onto a selection is not an object");
    };
    let mut keys: Vec<&str> = selection.iter().map(Field::key).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut got: Vec<&str> = written.keys().map(String::as_str).collect();
    got.sort_unstable();
    assert_eq!(keys, got, "projected keys differ from the selection's");
}

/// Names in the document, so that variables and answers often use them.
fn words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = query
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    words.sort();
    words.dedup();
    words
}

fn key(u: &mut Unstructured, words: &[String]) -> Result<String> {
    if !words.is_empty() && u.ratio(3, 4)? {
        Ok(u.choose(words)?.clone())
    } else {
        u.arbitrary()
    }
}

fn json(u: &mut Unstructured, words: &[String], depth: u32) -> Result<Value> {
    let kinds = if depth == 0 { 3 } else { 5 };
    Ok(match u.int_in_range(0..=kinds)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => {
            if u.arbitrary()? {
                Value::Number(u.arbitrary::<i64>()?.into())
            } else {
                Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number)
            }
        }
        3 => Value::String(u.arbitrary()?),
        4 => {
            let n = u.int_in_range(0..=3u8)?;
            let mut items = Vec::new();
            for _ in 0..n {
                items.push(json(u, words, depth - 1)?);
            }
            Value::Array(items)
        }
        _ => {
            let n = u.int_in_range(0..=6u8)?;
            let mut map = Map::new();
            for _ in 0..n {
                let k = key(u, words)?;
                map.insert(k, json(u, words, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}
