//! Reading a proxy's OpenAPI 3 contract (YAML or JSON; YAML is a superset of JSON, so one
//! parser reads both) into the list of operations the Overview shows.
//!
//! A contract is hostile input. YAML aliases let a few kilobytes stand for millions of values
//! (13 KB once took the process from 82 MB to 556 MB), so the document is read into a tree
//! (`Node`) that may hold no more values than its text could spell out without aliases, and
//! is refused past that. Parsing runs off the async runtime, a few at a time, within a time
//! bound (`read`).
use crate::model::{Operation, MAX_CONTRACT_KIB};
use crate::{Error, Result};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::sync::LazyLock;
use std::time::Duration;
use tokio::sync::Semaphore;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Contracts parsed at once: a burst of uploads takes no more than this many threads.
const PARALLEL_PARSES: usize = 2;
/// Longer than any real contract takes (a 1 MiB one reads in well under a second).
const PARSE_TIMEOUT: Duration = Duration::from_secs(10);
static PARSES: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(PARALLEL_PARSES));

/// `operations`, on a blocking thread, at most `PARALLEL_PARSES` at once and within
/// `PARSE_TIMEOUT`.
pub async fn read(text: String) -> Result<Vec<Operation>> {
    let busy = || Error::invalid("contract", "the contract could not be read in time: try again, or upload a smaller one");
    let _permit = tokio::time::timeout(PARSE_TIMEOUT, PARSES.acquire()).await.map_err(|_| busy())?.map_err(|_| busy())?;
    let parse = tokio::task::spawn_blocking(move || operations(&text));
    match tokio::time::timeout(PARSE_TIMEOUT, parse).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(Error::invalid("contract", "the contract could not be read")),
        Err(_) => Err(busy()),
    }
}

/// The contract's operations, in document order of paths, then methods as listed above.
pub fn operations(text: &str) -> Result<Vec<Operation>> {
    let invalid = |message: String| Error::invalid("contract", message);
    if text.len() > MAX_CONTRACT_KIB * 1024 {
        return Err(invalid(format!("the contract is larger than {MAX_CONTRACT_KIB} KiB")));
    }
    if text.trim().is_empty() {
        return Err(invalid("the contract is empty: upload or paste an OpenAPI 3 document, or leave the field out".into()));
    }
    let budget = Budget(Cell::new(text.len() / 2 + 64));
    let deserializer = serde_yaml_ng::Deserializer::from_str(text);
    let doc = Seed(&budget).deserialize(deserializer).map_err(|e| {
        if budget.0.get() == 0 {
            invalid(format!("{TOO_MANY} (it expands through YAML aliases to more values than its text holds): write it out without anchors and aliases"))
        } else {
            invalid(format!("the contract is neither valid YAML nor JSON: {e}"))
        }
    })?;
    // `openapi: 3.0` unquoted is a number in YAML.
    let version = match doc.get("openapi") {
        Some(Node::Text(v)) => v.clone(),
        _ => {
            let hint = if doc.get("swagger").is_some() { " (this looks like Swagger 2.0: convert it to OpenAPI 3 first)" } else { "" };
            return Err(invalid(format!("the contract has no \"openapi\" version field{hint}")));
        }
    };
    if !version.starts_with("3.") {
        return Err(invalid(format!("the contract is OpenAPI {version}; Gatehouse reads OpenAPI 3.x")));
    }
    let Some(Node::Map(paths)) = doc.get("paths") else {
        return Err(invalid("the contract has no \"paths\" object, so it lists no operations".into()));
    };
    let mut found = Vec::new();
    for (path, item) in paths {
        let Node::Text(path) = path else { return Err(invalid("a key under \"paths\" is not text".into())) };
        if !path.starts_with('/') {
            return Err(invalid(format!("the path \"{path}\" in the contract does not start with /")));
        }
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let text = |key: &str| match op.get(key) {
                Some(Node::Text(t)) => Some(t.clone()),
                _ => None,
            };
            found.push(Operation { method: method.to_uppercase(), path: path.to_string(), operation_id: text("operationId"), summary: text("summary") });
        }
    }
    Ok(found)
}

const TOO_MANY: &str = "the contract holds too many values";

/// A YAML or JSON value, as much of it as the operations need: mappings keep their keys in
/// document order (so paths list as written); numbers are kept as their text.
enum Node {
    Map(Vec<(Node, Node)>),
    Text(String),
    Other,
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| matches!(k, Node::Text(t) if t == key)).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// How many more values the tree may hold.
struct Budget(Cell<usize>);

/// Reads one value into a `Node`, spending the budget on it and on everything inside it; the
/// read stops at the first value past the budget, before the tree grows any further.
#[derive(Clone, Copy)]
struct Seed<'a>(&'a Budget);

impl Seed<'_> {
    fn spend<E: de::Error>(self) -> std::result::Result<(), E> {
        let left = self.0 .0.get();
        if left == 0 {
            return Err(E::custom(TOO_MANY));
        }
        self.0 .0.set(left - 1);
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Node;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> std::result::Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a YAML or JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Node, E> {
        self.spend()?;
        Ok(Node::Text(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Node, E> {
        self.spend()?;
        Ok(Node::Text(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Node, E> {
        self.spend()?;
        Ok(Node::Text(v.to_string()))
    }

    /// `openapi: 3.0` unquoted is a float: written back as 3.0, not 3.
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Node, E> {
        self.spend()?;
        Ok(Node::Text(format!("{v:?}")))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Node, E> {
        self.spend()?;
        Ok(Node::Other)
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Node, E> {
        self.spend()?;
        Ok(Node::Other)
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<Node, E> {
        self.visit_unit()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> std::result::Result<Node, D::Error> {
        self.deserialize(deserializer)
    }

    /// Sequences are read (and paid for) but not kept: no operation is in one.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Node, A::Error> {
        self.spend()?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(Node::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Node, A::Error> {
        self.spend()?;
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry_seed(self, self)? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::operations;

    #[test]
    fn reads_yaml_and_json_alike() {
        let yaml = "openapi: 3.0.3\ninfo: {title: Weather, version: '1'}\npaths:\n  /current:\n    get:\n      operationId: current\n      summary: Current weather\n  /alerts/{id}:\n    delete: {}\n    get: {}\n";
        let ops = operations(yaml).unwrap();
        let listed: Vec<String> = ops.iter().map(|o| format!("{} {}", o.method, o.path)).collect();
        assert_eq!(listed, ["GET /current", "GET /alerts/{id}", "DELETE /alerts/{id}"]);
        assert_eq!(ops[0].summary.as_deref(), Some("Current weather"));
        let json = r#"{"openapi":"3.1.0","paths":{"/x":{"post":{"operationId":"make"}}}}"#;
        assert_eq!(operations(json).unwrap()[0].operation_id.as_deref(), Some("make"));
    }

    #[test]
    fn refuses_what_is_not_openapi_3() {
        let message = |text: &str| operations(text).unwrap_err().to_string();
        assert!(message("swagger: '2.0'\npaths: {}").contains("Swagger 2.0"));
        assert!(message("openapi: 2.5\npaths: {}").contains("OpenAPI 2.5"));
        assert!(message("openapi: 2.0\npaths: {}").contains("OpenAPI 2.0"));
        assert!(message("openapi: '3.0.0'").contains("no \"paths\""));
        assert!(message("{ not yaml: [").contains("neither valid YAML nor JSON"));
        assert!(message("   ").contains("empty"));
        assert!(message("openapi: '3.0.0'\npaths:\n  nope: {}").contains("does not start with /"));
        assert!(message(&"#".repeat(1024 * 1024 + 1)).contains("larger than"));
    }

    /// "Billion laughs": each level lists the one before nine times, so a few hundred bytes
    /// stand for 9^n values.
    #[test]
    fn refuses_a_document_that_aliases_expand_past_its_size() {
        let mut bomb = String::from("openapi: 3.0.0\npaths: {}\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (level, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().zip(["a", "b", "c", "d", "e", "f", "g", "h"]) {
            bomb.push_str(&format!("{level}: &{level} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        let message = operations(&bomb).unwrap_err().to_string();
        assert!(message.contains("too many values") && message.contains("aliases"), "{message}");
        // A little reuse through an alias is still fine.
        let reuse = "openapi: '3.0.0'\ninfo: &i {title: x}\nx-copy: *i\npaths:\n  /a:\n    get: {summary: A}\n";
        assert_eq!(operations(reuse).unwrap().len(), 1);
    }
}

/// Generated contracts (`make fuzz` runs many more cases): any text, YAML-like or not, with
/// anchors and aliases or deep nesting, is read or refused with a message, never a panic, and
/// never a tree larger than the budget.
#[cfg(test)]
mod fuzz {
    use super::operations;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fuzz_yaml_like_text_is_read_or_refused(body in "[a-z/{}\\[\\]&*:,'\" \n-]{0,300}") {
            let _ = operations(&format!("openapi: 3.0.0\npaths:\n{body}"));
            let _ = operations(&body);
        }

        #[test]
        fn fuzz_aliases_and_nesting_never_blow_up(depth in 1usize..40, width in 1usize..30, nest in 0usize..300) {
            let mut text = String::from("openapi: 3.0.0\npaths: {}\nl0: &l0 [x]\n");
            for level in 1..depth {
                let refs = vec![format!("*l{}", level - 1); width].join(",");
                text.push_str(&format!("l{level}: &l{level} [{refs}]\n"));
            }
            text.push_str(&format!("deep: {}{}\n", "[".repeat(nest), "]".repeat(nest)));
            let _ = operations(&text);
        }
    }
}
