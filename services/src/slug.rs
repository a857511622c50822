//! Slugs: the short names in URLs. Never all digits, so `{project}` can be an id or a slug.
use crate::Error;

pub const MAX_LEN: usize = 48;

/// Refuses in a display name what would have to be escaped wherever it is written (metrics
/// labels, log lines, HTML attributes, CSV): quotes, backslashes and control characters.
pub fn plain_name(field: &str, name: &str) -> Result<(), Error> {
    if name.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
        return Err(Error::invalid(field, "a name cannot contain double quotes, backslashes or control characters"));
    }
    Ok(())
}

/// `"Weather & Maps API"` → `"weather-maps-api"`.
pub fn derive(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_end_matches('-').chars().take(MAX_LEN).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    if !slug.is_empty() && slug.chars().all(|c| c.is_ascii_digit()) {
        slug.insert_str(0, "p-");
    }
    slug
}

/// Checks a slug typed by a person; `field` names the form field for the message.
pub fn validate(field: &str, slug: &str) -> Result<(), Error> {
    let ok_chars = slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if slug.is_empty() {
        return Err(Error::invalid(field, "the slug is empty: use lowercase letters, digits and dashes"));
    }
    if slug.len() > MAX_LEN {
        return Err(Error::invalid(field, format!("the slug is longer than {MAX_LEN} characters")));
    }
    if !ok_chars || slug.starts_with('-') || slug.ends_with('-') {
        return Err(Error::invalid(field, "use lowercase letters, digits and single dashes, starting and ending with a letter or digit"));
    }
    if slug.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::invalid(field, "the slug needs at least one letter, so it cannot be mistaken for an id"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_readable_slugs() {
        assert_eq!(derive("Weather & Maps API"), "weather-maps-api");
        assert_eq!(derive("  Ünïcode  Shop "), "n-code-shop");
        assert_eq!(derive("2024"), "p-2024");
        assert_eq!(derive("---"), "");
        assert_eq!(derive(&"a".repeat(100)).len(), MAX_LEN);
    }

    #[test]
    fn validates_typed_slugs() {
        assert!(validate("slug", "payments-v2").is_ok());
        for bad in ["", "Payments", "-lead", "trail-", "has space", "123", &"a".repeat(MAX_LEN + 1)] {
            let err = validate("slug", bad).unwrap_err();
            assert_eq!(err.field(), Some("slug"), "{bad:?}");
        }
    }
}
