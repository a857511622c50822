//! A request's path as the gateway routes and forwards it. Dot segments (`.`, `..`, also when
//! written `%2e`) are resolved as RFC 3986 5.2.4 says before the route is looked up, so
//! `/weather/v1/../../admin` is routed as `/admin` and no request reaches a backend path outside
//! its backend URL's base path. What backends read in different ways is refused: an encoded `/`
//! or `\` (one backend decodes it into a separator, another does not), a backslash (some take it
//! for `/`) and an encoded NUL.
//!
//! Most paths have none of this: one scan decides, and they are used as they came, uncopied.
use std::borrow::Cow;

/// Why a path is refused, in words for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    EncodedSeparator,
    Backslash,
    EncodedNul,
}

impl Refused {
    pub fn message(self) -> &'static str {
        match self {
            Refused::EncodedSeparator => "the path contains an encoded / or \\ (%2F, %5C), which the gateway does not pass on",
            Refused::Backslash => "the path contains a backslash, which the gateway does not pass on",
            Refused::EncodedNul => "the path contains an encoded NUL (%00), which the gateway does not pass on",
        }
    }
}

/// The path to route and forward: `path` itself when it needs nothing, else with its dot
/// segments resolved; or why it is refused.
pub fn normalise(path: &str) -> Result<Cow<'_, str>, Refused> {
    let bytes = path.as_bytes();
    let mut dots = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\\' => return Err(Refused::Backslash),
            b'%' => match hex_pair(&bytes[i + 1..]) {
                Some(0x2f | 0x5c) => return Err(Refused::EncodedSeparator),
                Some(0x00) => return Err(Refused::EncodedNul),
                Some(b'.') => dots = true,
                _ => {}
            },
            b'.' if i > 0 && bytes[i - 1] == b'/' => dots = true,
            _ => {}
        }
    }
    if !dots {
        return Ok(Cow::Borrowed(path));
    }
    Ok(Cow::Owned(remove_dot_segments(path)))
}

/// The byte two hex digits at the start of `rest` stand for.
fn hex_pair(rest: &[u8]) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16);
    match rest {
        [a, b, ..] => Some((digit(*a)? * 16 + digit(*b)?) as u8),
        _ => None,
    }
}

/// A segment that is only dots, written plainly or as `%2e`: how many (1 or 2), else 0.
fn dot_count(segment: &str) -> usize {
    let mut rest = segment.as_bytes();
    let mut count = 0;
    while !rest.is_empty() {
        rest = match rest {
            [b'.', tail @ ..] => tail,
            [b'%', b'2', b'e' | b'E', tail @ ..] => tail,
            _ => return 0,
        };
        count += 1;
        if count > 2 {
            return 0;
        }
    }
    count
}

/// RFC 3986 5.2.4 over an absolute path: `.` segments go, `..` takes the one before it away
/// (never above the root), and a path that ended in a dot segment keeps its trailing `/`.
fn remove_dot_segments(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut trailing_slash = false;
    for segment in path.split('/').skip(1) {
        match dot_count(segment) {
            1 => trailing_slash = true,
            2 => {
                kept.pop();
                trailing_slash = true;
            }
            _ => {
                kept.push(segment);
                trailing_slash = false;
            }
        }
    }
    let mut out = String::with_capacity(path.len());
    for segment in &kept {
        out.push('/');
        out.push_str(segment);
    }
    if trailing_slash || out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_resolved_before_routing() {
        let cases = [
            ("/weather/v1/../../admin", "/admin"),
            ("/weather/v1/%2e%2e/%2E%2E/admin", "/admin"),
            ("/weather/v1/.%2e/x", "/weather/x"),
            ("/a/./b", "/a/b"),
            ("/a/b/..", "/a/"),
            ("/a/b/.", "/a/b/"),
            ("/../../../etc/passwd", "/etc/passwd"),
            ("/..", "/"),
            ("/a/...", "/a/..."),
            ("/a/.hidden/b", "/a/.hidden/b"),
            ("/a//b/../c", "/a//c"),
        ];
        for (path, want) in cases {
            assert_eq!(normalise(path).unwrap(), want, "{path}");
        }
    }

    #[test]
    fn plain_paths_are_not_copied() {
        for path in ["/", "/weather/v1/today", "/a.b/c.json", "/q%20x/%41", "/v1.2/x."] {
            assert!(matches!(normalise(path), Ok(Cow::Borrowed(p)) if p == path), "{path}");
        }
    }

    #[test]
    fn separators_a_backend_could_read_differently_are_refused() {
        for path in ["/a/..%2fadmin", "/a%2Fb", "/a/%5c..", "/a/%5C"] {
            assert_eq!(normalise(path), Err(Refused::EncodedSeparator), "{path}");
        }
        assert_eq!(normalise("/a\\..\\admin"), Err(Refused::Backslash));
        assert_eq!(normalise("/a%00.json"), Err(Refused::EncodedNul));
        // An unfinished escape is not one of them: the backend gets it as sent.
        assert_eq!(normalise("/a%2").unwrap(), "/a%2");
    }

    #[test]
    fn no_normalised_path_climbs_out_of_where_it_was_routed() {
        // Whatever follows a prefix, the result has no dot segment left to climb with.
        let pieces = ["..", ".", "%2e%2e", "%2E.", "a", "", ".a", "..."];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let path = format!("/ctx/{a}/{b}/{c}");
                    let out = normalise(&path).unwrap();
                    assert!(out.starts_with('/'), "{path} -> {out}");
                    assert!(out.split('/').all(|s| dot_count(s) == 0), "{path} -> {out}");
                }
            }
        }
    }
}

/// Generated paths (`make fuzz` runs many more cases): normalising never panics, never leaves a
/// dot segment to climb with, always starts with `/`, and is settled after one pass.
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fuzz_any_path_normalises_to_one_that_cannot_climb(segments in prop::collection::vec("(\\.|\\.\\.|%2e|%2E|%2e%2e|\\.%2e|[a-z]{0,3}|%2f|%5c|%00|%|%2|\\\\|)", 0..12)) {
            let path = format!("/{}", segments.join("/"));
            if let Ok(out) = normalise(&path) {
                prop_assert!(out.starts_with('/'), "{} -> {}", path, out);
                prop_assert!(out.split('/').all(|s| dot_count(s) == 0), "{} -> {}", path, out);
                prop_assert_eq!(normalise(&out).unwrap(), out.clone());
            }
        }

        #[test]
        fn fuzz_arbitrary_bytes_as_a_path_never_panic(path in "/\\PC{0,64}") {
            let _ = normalise(&path);
        }
    }
}
