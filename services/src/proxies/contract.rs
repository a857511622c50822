//! Reading a proxy's OpenAPI 3 contract (YAML or JSON; YAML is a superset of JSON, so one
//! parser reads both) into the list of operations the Overview shows.
use crate::model::{Operation, MAX_CONTRACT_KIB};
use crate::{Error, Result};
// serde_yaml_ng's Value keeps the document's key order, so paths list as written.
use serde_yaml_ng::Value;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The contract's operations, in document order of paths, then methods as listed above.
pub fn operations(text: &str) -> Result<Vec<Operation>> {
    let invalid = |message: String| Error::invalid("contract", message);
    if text.len() > MAX_CONTRACT_KIB * 1024 {
        return Err(invalid(format!("the contract is larger than {MAX_CONTRACT_KIB} KiB")));
    }
    if text.trim().is_empty() {
        return Err(invalid("the contract is empty: upload or paste an OpenAPI 3 document, or leave the field out".into()));
    }
    let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| invalid(format!("the contract is neither valid YAML nor JSON: {e}")))?;
    // `openapi: 3.0` unquoted is a number in YAML.
    let version = match doc.get("openapi") {
        Some(Value::String(v)) => v.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            let hint = if doc.get("swagger").is_some() { " (this looks like Swagger 2.0: convert it to OpenAPI 3 first)" } else { "" };
            return Err(invalid(format!("the contract has no \"openapi\" version field{hint}")));
        }
    };
    if !version.starts_with("3.") {
        return Err(invalid(format!("the contract is OpenAPI {version}; Gatehouse reads OpenAPI 3.x")));
    }
    let Some(paths) = doc.get("paths").and_then(Value::as_mapping) else {
        return Err(invalid("the contract has no \"paths\" object, so it lists no operations".into()));
    };
    let mut found = Vec::new();
    for (path, item) in paths {
        let Some(path) = path.as_str() else { return Err(invalid("a key under \"paths\" is not text".into())) };
        if !path.starts_with('/') {
            return Err(invalid(format!("the path \"{path}\" in the contract does not start with /")));
        }
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let text = |key: &str| op.get(key).and_then(Value::as_str).map(str::to_string);
            found.push(Operation { method: method.to_uppercase(), path: path.to_string(), operation_id: text("operationId"), summary: text("summary") });
        }
    }
    Ok(found)
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
        assert!(message("openapi: '3.0.0'").contains("no \"paths\""));
        assert!(message("{ not yaml: [").contains("neither valid YAML nor JSON"));
        assert!(message("   ").contains("empty"));
        assert!(message("openapi: '3.0.0'\npaths:\n  nope: {}").contains("does not start with /"));
        assert!(message(&"#".repeat(1024 * 1024 + 1)).contains("larger than"));
    }
}
