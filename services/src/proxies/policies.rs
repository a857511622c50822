//! A proxy's policies: checked and normalised here (header names in lower case, ranges in their
//! canonical form), stored on the proxy, copied into each revision at deploy, compiled by the
//! gateway (`gateway::policies`). Errors name the policy by its position and the field, so the
//! console shows them beside it.
use crate::model::{Policy, MAX_POLICIES};
use crate::{Error, Result};
use gateway::policies::{canonical_range, reserved, PolicySpec};
use std::collections::HashMap;

const MAX_VALUE: usize = 1024;
const MAX_LIST: usize = 100;
const MAX_ENTRY: usize = 256;

/// The list as typed, checked whole: the first problem is the error, nothing is kept half.
/// `key_header` is the proxy's credential header, which no policy may touch.
pub fn read(typed: &[Policy], key_header: &str) -> Result<Vec<Policy>> {
    if typed.len() > MAX_POLICIES {
        return Err(Error::invalid("policies", format!("a proxy has at most {MAX_POLICIES} policies")));
    }
    let mut out = Vec::with_capacity(typed.len());
    // (direction, header) → what the earlier policy did with it, for conflicts.
    let mut seen: HashMap<(bool, String), (usize, bool)> = HashMap::new();
    let mut once: HashMap<&'static str, usize> = HashMap::new();
    for (i, policy) in typed.iter().enumerate() {
        let at = |field: &str| format!("policies[{i}].{field}");
        let number = i + 1;
        let checked = match policy {
            Policy::SetRequestHeader { name, value } | Policy::SetResponseHeader { name, value } => {
                let request = matches!(policy, Policy::SetRequestHeader { .. });
                let name = header_name(&at("name"), name, request.then_some(key_header))?;
                let value = header_value(&at("value"), value)?;
                conflict(&mut seen, (request, name.clone()), number, true)?;
                if request {
                    Policy::SetRequestHeader { name, value }
                } else {
                    Policy::SetResponseHeader { name, value }
                }
            }
            Policy::RemoveRequestHeader { name } | Policy::RemoveResponseHeader { name } => {
                let request = matches!(policy, Policy::RemoveRequestHeader { .. });
                let name = header_name(&at("name"), name, request.then_some(key_header))?;
                conflict(&mut seen, (request, name.clone()), number, false)?;
                if request {
                    Policy::RemoveRequestHeader { name }
                } else {
                    Policy::RemoveResponseHeader { name }
                }
            }
            Policy::RemoveFingerprintingHeaders | Policy::MaskBackendUrls => policy.clone(),
            Policy::IpFilter { allow, deny } => {
                let (allow, deny) = (ranges(&at("allow"), allow)?, ranges(&at("deny"), deny)?);
                if allow.is_empty() && deny.is_empty() {
                    return Err(Error::invalid(&at("allow"), format!("policy {number}: list at least one address or range to allow or deny")));
                }
                Policy::IpFilter { allow, deny }
            }
            Policy::Cors { allow_origins, allow_methods, allow_headers, max_age } => {
                let origins = words(&at("allow_origins"), allow_origins)?;
                for origin in &origins {
                    let valid = origin == "*"
                        || url::Url::parse(origin)
                            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.path() == "/" && !origin.ends_with('/') && u.host().is_some());
                    if !valid {
                        return Err(Error::invalid(
                            &at("allow_origins"),
                            format!("policy {number}: \"{origin}\" is not an origin such as https://app.example.com, or *"),
                        ));
                    }
                }
                let methods: Vec<String> = words(&at("allow_methods"), allow_methods)?.into_iter().map(|m| m.to_ascii_uppercase()).collect();
                if let Some(bad) = methods.iter().find(|m| hyper::Method::from_bytes(m.as_bytes()).is_err()) {
                    return Err(Error::invalid(&at("allow_methods"), format!("policy {number}: \"{bad}\" is not an HTTP method")));
                }
                let headers = words(&at("allow_headers"), allow_headers)?;
                if let Some(bad) = headers.iter().find(|h| hyper::header::HeaderName::from_bytes(h.as_bytes()).is_err()) {
                    return Err(Error::invalid(&at("allow_headers"), format!("policy {number}: \"{bad}\" is not a header name")));
                }
                if max_age.is_some_and(|a| a > 86_400) {
                    return Err(Error::invalid(&at("max_age"), format!("policy {number}: browsers keep a preflight at most a day (86400 s)")));
                }
                Policy::Cors { allow_origins: origins, allow_methods: methods, allow_headers: headers, max_age: *max_age }
            }
        };
        if matches!(checked, Policy::RemoveFingerprintingHeaders | Policy::MaskBackendUrls | Policy::Cors { .. }) {
            if let Some(first) = once.insert(checked.kind(), number) {
                return Err(Error::invalid(&at("kind"), format!("policy {number} repeats policy {first} ({}): keep one", Policy::label(checked.kind()))));
            }
        }
        out.push(checked);
    }
    Ok(out)
}

/// The same header set and removed in one direction is a contradiction, named.
fn conflict(seen: &mut HashMap<(bool, String), (usize, bool)>, key: (bool, String), number: usize, set: bool) -> Result<()> {
    if let Some((first, earlier_set)) = seen.get(&key) {
        if *earlier_set != set {
            let where_ = if key.0 { "request" } else { "response" };
            return Err(Error::invalid(
                &format!("policies[{}].name", number - 1),
                format!("policy {number} and policy {first} both change the {where_} header {}: one sets it, the other removes it", key.1),
            ));
        }
    }
    seen.insert(key, (number, set));
    Ok(())
}

fn header_name(field: &str, typed: &str, key_header: Option<&str>) -> Result<String> {
    let name = typed.trim().to_ascii_lowercase();
    if name.is_empty() {
        return Err(Error::invalid(field, "enter the header's name"));
    }
    if name.len() > 128 || hyper::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(Error::invalid(field, format!("\"{}\" is not a header name (letters, digits and - only)", typed.chars().take(60).collect::<String>())));
    }
    if let Some(why) = reserved(&name) {
        return Err(Error::invalid(field, format!("a policy cannot change {name}: {why}")));
    }
    if key_header == Some(name.as_str()) {
        return Err(Error::invalid(field, format!("{name} carries the subscription key (Access): a policy cannot change it")));
    }
    Ok(name)
}

fn header_value(field: &str, typed: &str) -> Result<String> {
    let value = typed.trim();
    if value.len() > MAX_VALUE {
        return Err(Error::invalid(field, format!("a header value is at most {MAX_VALUE} characters")));
    }
    if hyper::header::HeaderValue::from_str(value).is_err() {
        return Err(Error::invalid(field, "a header value is visible ASCII text, spaces and tabs (no line breaks)"));
    }
    Ok(value.to_string())
}

/// Addresses and CIDR ranges, canonical ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32").
fn ranges(field: &str, typed: &[String]) -> Result<Vec<String>> {
    let items = words(field, typed)?;
    items
        .into_iter()
        .map(|item| {
            canonical_range(&item)
                .ok_or_else(|| Error::invalid(field, format!("\"{item}\" is not an IP address or a CIDR range such as 10.0.0.0/8 or 2001:db8::/32")))
        })
        .collect()
}

/// Trimmed, empty entries dropped, bounded in number and length (so no error echoes a huge entry).
fn words(field: &str, typed: &[String]) -> Result<Vec<String>> {
    let items: Vec<String> = typed.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    if items.len() > MAX_LIST {
        return Err(Error::invalid(field, format!("at most {MAX_LIST} entries")));
    }
    if items.iter().any(|i| i.len() > MAX_ENTRY) {
        return Err(Error::invalid(field, format!("an entry is at most {MAX_ENTRY} characters")));
    }
    Ok(items)
}

/// The policies stored on `row` (checked when saved).
pub fn of(row: &crate::entities::proxy::Model) -> Vec<Policy> {
    serde_json::from_str(&row.policies).unwrap_or_default()
}

/// What the gateway compiles.
pub fn spec(policies: &[Policy]) -> Vec<PolicySpec> {
    policies
        .iter()
        .map(|p| match p.clone() {
            Policy::SetRequestHeader { name, value } => PolicySpec::SetRequestHeader { name, value },
            Policy::RemoveRequestHeader { name } => PolicySpec::RemoveRequestHeader { name },
            Policy::SetResponseHeader { name, value } => PolicySpec::SetResponseHeader { name, value },
            Policy::RemoveResponseHeader { name } => PolicySpec::RemoveResponseHeader { name },
            Policy::RemoveFingerprintingHeaders => PolicySpec::RemoveFingerprintingHeaders,
            Policy::MaskBackendUrls => PolicySpec::MaskBackendUrls,
            Policy::IpFilter { allow, deny } => PolicySpec::IpFilter { allow, deny },
            Policy::Cors { allow_origins, allow_methods, allow_headers, max_age } => PolicySpec::Cors { allow_origins, allow_methods, allow_headers, max_age },
        })
        .collect()
}

/// "3 policies: Remove fingerprinting headers; …", for "what would change".
pub fn describe(policies: &[Policy]) -> String {
    if policies.is_empty() {
        return "none".to_string();
    }
    policies.iter().map(Policy::describe).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, value: &str) -> Policy {
        Policy::SetRequestHeader { name: name.into(), value: value.into() }
    }

    #[test]
    fn names_are_normalised_and_every_bad_entry_is_named() {
        let read_one = |p: Policy| read(&[p], "api-key");
        assert_eq!(read_one(set(" X-Env ", " prod ")).unwrap(), [set("x-env", "prod")]);
        let ip = read_one(Policy::IpFilter { allow: vec!["10.1.2.3/8".into(), "2001:db8::1".into()], deny: vec![] }).unwrap();
        assert_eq!(ip, [Policy::IpFilter { allow: vec!["10.0.0.0/8".into(), "2001:db8::1/128".into()], deny: vec![] }]);
        for (policy, field, words) in [
            (set("bad name", "v"), "policies[0].name", "is not a header name"),
            (set("x-a", "line\nbreak"), "policies[0].value", "no line breaks"),
            (set("", "v"), "policies[0].name", "enter the header's name"),
            (set("Host", "v"), "policies[0].name", "HTTP itself"),
            (set("x-gatehouse-subscription", "1"), "policies[0].name", "the gateway sets it"),
            (set("API-Key", "k"), "policies[0].name", "subscription key"),
            (Policy::IpFilter { allow: vec!["10.0.0.0/33".into()], deny: vec![] }, "policies[0].allow", "not an IP address"),
            (Policy::IpFilter { allow: vec![], deny: vec![" ".into()] }, "policies[0].allow", "at least one"),
            (
                Policy::Cors { allow_origins: vec!["app.example.com".into()], allow_methods: vec![], allow_headers: vec![], max_age: None },
                "policies[0].allow_origins",
                "not an origin",
            ),
        ] {
            let err = read_one(policy.clone()).unwrap_err();
            assert_eq!(err.field(), Some(field), "{policy:?}");
            assert!(err.to_string().contains(words), "{err}");
        }
        // The key header is only the credential on requests: an answer may carry a header of that name.
        assert!(read_one(Policy::SetResponseHeader { name: "api-key".into(), value: "x".into() }).is_ok());
    }

    #[test]
    fn contradictions_and_repeats_are_refused() {
        let both = read(&[set("x-a", "1"), Policy::RemoveRequestHeader { name: "X-A".into() }], "api-key").unwrap_err();
        assert_eq!(both.field(), Some("policies[1].name"));
        assert!(both.to_string().contains("policy 2 and policy 1"), "{both}");
        // The same name on the other side is no contradiction.
        assert!(read(&[set("x-a", "1"), Policy::RemoveResponseHeader { name: "x-a".into() }], "api-key").is_ok());
        let twice = read(&[Policy::MaskBackendUrls, Policy::MaskBackendUrls], "api-key").unwrap_err();
        assert_eq!(twice.field(), Some("policies[1].kind"));
        let long = Policy::IpFilter { allow: vec!["1".repeat(MAX_ENTRY + 1)], deny: vec![] };
        assert_eq!(read(&[long], "api-key").unwrap_err().field(), Some("policies[0].allow"));
        let many: Vec<Policy> = (0..=MAX_POLICIES).map(|i| set(&format!("x-{i}"), "v")).collect();
        assert_eq!(read(&many, "api-key").unwrap_err().field(), Some("policies"));
    }
}
