//! The two addresses a proxy has: its context path on the gateway, and each environment's
//! backend URL.
use crate::{Error, Result};

const MAX_CONTEXT_PATH: usize = 200;

/// Checks a context path and returns it without a trailing slash: "/weather/v1/" → "/weather/v1".
pub fn context_path(field: &str, raw: &str) -> Result<String> {
    let path = raw.trim();
    let invalid = |message: String| Err(Error::invalid(field, message));
    if path.is_empty() {
        return invalid("enter a context path such as /weather/v1".into());
    }
    if !path.starts_with('/') {
        return invalid(format!("a context path starts with /, as in /{}", path.trim_start_matches('/')));
    }
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        return invalid("the context path / would take every request: use a prefix such as /weather/v1".into());
    }
    if path.len() > MAX_CONTEXT_PATH {
        return invalid(format!("the context path is longer than {MAX_CONTEXT_PATH} characters"));
    }
    for segment in path[1..].split('/') {
        if segment.is_empty() {
            return invalid("the context path has an empty segment (//)".into());
        }
        if segment == "." || segment == ".." {
            return invalid(format!("the context path may not contain a \"{segment}\" segment"));
        }
        if let Some(bad) = segment.chars().find(|c| !(c.is_ascii_alphanumeric() || "-._~".contains(*c))) {
            return invalid(format!("the context path contains \"{bad}\": use letters, digits, - . _ ~ and / between segments"));
        }
    }
    Ok(path.to_string())
}

/// Checks a backend URL: http or https, a host, no credentials, query or fragment. Returns it
/// without a trailing slash, since the request's path after the context path is appended.
pub fn backend_url(field: &str, raw: &str) -> Result<url::Url> {
    let text = raw.trim();
    let invalid = |message: String| Err(Error::invalid(field, message));
    if text.is_empty() {
        return invalid("enter the backend URL, such as https://backend.example.com/api".into());
    }
    let parsed = match url::Url::parse(text) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => return invalid(format!("the backend URL needs a scheme: https://{text} or http://{text}")),
        Err(e) => return invalid(format!("the backend URL is not a valid URL: {e}")),
    };
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        return invalid(format!("the backend URL must start with http:// or https://, not {}://", parsed.scheme()));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return invalid("the backend URL has no host".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return invalid("the backend URL contains credentials: remove them (they would be stored and logged in plain text)".into());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return invalid("the backend URL may not have a query (?…) or fragment (#…): the caller's query is passed on".into());
    }
    if text.len() > 2048 {
        return invalid("the backend URL is longer than 2048 characters".into());
    }
    Ok(parsed)
}

/// The URL as stored: parsed form, without a trailing slash after the path.
pub fn normalized(url: &url::Url) -> String {
    let text = url.as_str();
    text.strip_suffix('/').unwrap_or(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_paths() {
        assert_eq!(context_path("c", " /weather/v1/ ").unwrap(), "/weather/v1");
        for (bad, says) in [
            ("", "enter a context path"),
            ("weather", "starts with /"),
            ("/", "would take every request"),
            ("/a//b", "empty segment"),
            ("/a/../b", "\"..\" segment"),
            ("/a b", "contains \" \""),
            ("/a?x=1", "contains \"?\""),
        ] {
            let message = context_path("c", bad).unwrap_err().to_string();
            assert!(message.contains(says), "{bad:?}: {message}");
        }
    }

    #[test]
    fn backend_urls() {
        assert_eq!(normalized(&backend_url("u", "https://127.0.0.1:8080/api/").unwrap()), "https://127.0.0.1:8080/api");
        assert_eq!(normalized(&backend_url("u", "http://backend.test").unwrap()), "http://backend.test");
        for (bad, says) in [
            ("", "enter the backend URL"),
            ("backend.test/api", "needs a scheme"),
            ("ftp://backend.test", "http:// or https://"),
            ("https://user:pw@backend.test", "credentials"),
            ("https://backend.test/?a=1", "query"),
            ("https://[::1", "not a valid URL"),
        ] {
            let message = backend_url("u", bad).unwrap_err().to_string();
            assert!(message.contains(says), "{bad:?}: {message}");
        }
    }
}
