//! A proxy's access setting: open, or subscription with the names of the key's header and
//! query parameter. Stored on the proxy and copied into each revision at deploy.
use crate::entities::proxy;
use crate::model::{Access, AccessMode};
use crate::{Error, Result};

/// Headers that say something else to HTTP or to the gateway: a key there would be misread.
const RESERVED: [&str; 12] = [
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "cookie",
    "te",
    "upgrade",
    "x-request-id",
    "x-forwarded-for",
    "forwarded",
    "accept",
];

/// The setting as typed, checked and normalised (header names in lower case).
pub fn read(typed: &Access) -> Result<Access> {
    let header = typed.key_header.trim().to_ascii_lowercase();
    if header.is_empty() || header.len() > 64 || !header.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(Error::invalid("key_header", "a key header name is 1 to 64 letters, digits, '-' or '_', such as api-key"));
    }
    if RESERVED.contains(&header.as_str()) || header.starts_with("x-gatehouse-") {
        return Err(Error::invalid("key_header", format!("{header} means something else to HTTP or to the gateway: choose another name, such as api-key")));
    }
    let query = typed.key_query.trim().to_string();
    if query.is_empty() || query.len() > 64 || !query.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b)) {
        return Err(Error::invalid("key_query", "a key query parameter name is 1 to 64 letters, digits, '-', '_', '.' or '~', such as api-key"));
    }
    Ok(Access { mode: typed.mode, key_header: header, key_query: query, client_certificate: typed.client_certificate })
}

/// The setting stored on `row`.
pub fn of(row: &proxy::Model) -> Access {
    let mode = if row.access_mode == "subscription" { AccessMode::Subscription } else { AccessMode::Open };
    Access { mode, key_header: row.key_header.clone(), key_query: row.key_query.clone(), client_certificate: row.client_certificate }
}

pub fn mode_str(mode: AccessMode) -> &'static str {
    match mode {
        AccessMode::Open => "open",
        AccessMode::Subscription => "subscription",
    }
}

/// "subscription (key in the api-key header or query parameter)", for the activity log and
/// "what would change".
pub fn describe(access: &Access) -> String {
    match access.mode {
        AccessMode::Open => "open".to_string(),
        AccessMode::Subscription if access.client_certificate => {
            format!("subscription (key in the {} header or the {} query parameter, or a client certificate)", access.key_header, access.key_query)
        }
        AccessMode::Subscription => format!("subscription (key in the {} header or the {} query parameter)", access.key_header, access.key_query),
    }
}

/// What the gateway compiles.
pub fn spec(access: &Access) -> gateway::consumers::AccessSpec {
    match access.mode {
        AccessMode::Open => gateway::consumers::AccessSpec::Open,
        AccessMode::Subscription => gateway::consumers::AccessSpec::Subscription {
            key_header: access.key_header.clone(),
            key_query: access.key_query.clone(),
            client_certificate: access.client_certificate,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_lower_cased() {
        let typed = |h: &str, q: &str| Access { mode: AccessMode::Subscription, key_header: h.into(), key_query: q.into(), client_certificate: false };
        assert_eq!(read(&typed(" Ocp-Apim-Subscription-Key ", "subscription-key")).unwrap().key_header, "ocp-apim-subscription-key");
        for (h, q, field) in [
            ("", "k", "key_header"),
            ("a b", "k", "key_header"),
            ("Host", "k", "key_header"),
            ("x-gatehouse-product", "k", "key_header"),
            ("k", "a&b", "key_query"),
            ("k", "", "key_query"),
        ] {
            assert_eq!(read(&typed(h, q)).unwrap_err().field(), Some(field), "{h} {q}");
        }
    }
}
