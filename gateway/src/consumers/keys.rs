//! Finding the subscription key a caller sent, in the route's header or query parameter, and
//! taking it out of what is forwarded. A key sent twice, empty, or in both places is refused
//! with what to fix, never guessed at.
use hyper::header::{HeaderMap, HeaderName};

/// Where a route looks for the key (names compiled at deploy).
#[derive(Debug, Clone)]
pub struct KeyPlaces {
    pub header: HeaderName,
    pub query: Box<str>,
}

/// Where the credential was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Header,
    Query,
    /// No key: the client certificate presented on the connection.
    Certificate,
}

/// Why no key could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    Missing,
    Empty(String),
    Repeated(String),
    Both,
}

impl KeyPlaces {
    /// The key the caller sent, and where.
    pub fn find<'a>(&self, headers: &'a HeaderMap, query: Option<&'a str>) -> Result<(&'a [u8], Source), KeyProblem> {
        let mut in_header = headers.get_all(&self.header).iter();
        let header = match (in_header.next(), in_header.next()) {
            (None, _) => None,
            (Some(_), Some(_)) => return Err(KeyProblem::Repeated(format!("the {} header", self.header))),
            (Some(value), None) if value.as_bytes().trim_ascii().is_empty() => return Err(KeyProblem::Empty(format!("the {} header", self.header))),
            (Some(value), None) => Some(value.as_bytes().trim_ascii()),
        };
        let mut in_query = query.into_iter().flat_map(|q| q.split('&')).filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name == &*self.query).then_some(value)
        });
        let param = match (in_query.next(), in_query.next()) {
            (None, _) => None,
            (Some(_), Some(_)) => return Err(KeyProblem::Repeated(format!("the {} query parameter", self.query))),
            (Some(""), None) => return Err(KeyProblem::Empty(format!("the {} query parameter", self.query))),
            (Some(value), None) => Some(value.as_bytes()),
        };
        match (header, param) {
            (Some(_), Some(_)) => Err(KeyProblem::Both),
            (Some(key), None) => Ok((key, Source::Header)),
            (None, Some(key)) => Ok((key, Source::Query)),
            (None, None) => Err(KeyProblem::Missing),
        }
    }

    /// The query without the key's parameter (`None` when nothing else is left).
    pub fn query_without_key(&self, query: &str) -> Option<String> {
        let kept: Vec<&str> = query.split('&').filter(|pair| pair.split_once('=').map_or(*pair, |(name, _)| name) != &*self.query).collect();
        let kept = kept.join("&");
        (!kept.is_empty()).then_some(kept)
    }

    /// What a caller is told when no key could be read.
    pub fn explain(&self, problem: &KeyProblem) -> String {
        match problem {
            KeyProblem::Missing => format!("send your subscription key in the {} header or the {} query parameter", self.header, self.query),
            KeyProblem::Empty(place) => format!("{place} is empty: send your subscription key in it"),
            KeyProblem::Repeated(place) => format!("{place} is sent more than once: send your subscription key once"),
            KeyProblem::Both => format!("send your subscription key in the {} header or the {} query parameter, not both", self.header, self.query),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn places() -> KeyPlaces {
        KeyPlaces { header: HeaderName::from_static("api-key"), query: "api-key".into() }
    }

    #[test]
    fn a_key_is_read_from_one_place_and_every_doubt_is_refused() {
        let p = places();
        let mut headers = HeaderMap::new();
        assert_eq!(p.find(&headers, Some("q=1")), Err(KeyProblem::Missing));
        assert_eq!(p.find(&headers, Some("a=1&api-key=k1")), Ok((&b"k1"[..], Source::Query)));
        assert!(matches!(p.find(&headers, Some("api-key=")), Err(KeyProblem::Empty(_))));
        assert!(matches!(p.find(&headers, Some("api-key=a&api-key=b")), Err(KeyProblem::Repeated(_))));
        assert_eq!(p.find(&headers, Some("xapi-key=k")), Err(KeyProblem::Missing), "names match whole");
        headers.insert("api-key", HeaderValue::from_static(" k2 "));
        assert_eq!(p.find(&headers, None), Ok((&b"k2"[..], Source::Header)));
        assert_eq!(p.find(&headers, Some("api-key=k1")), Err(KeyProblem::Both));
        headers.append("api-key", HeaderValue::from_static("k3"));
        assert!(matches!(p.find(&headers, None), Err(KeyProblem::Repeated(_))));
        headers.insert("api-key", HeaderValue::from_static(""));
        let empty = p.find(&headers, None).unwrap_err();
        assert_eq!(p.explain(&empty), "the api-key header is empty: send your subscription key in it");
    }

    #[test]
    fn the_key_is_taken_out_of_the_query_and_the_rest_kept_in_order() {
        let p = places();
        assert_eq!(p.query_without_key("a=1&api-key=k&b=2").as_deref(), Some("a=1&b=2"));
        assert_eq!(p.query_without_key("api-key=k"), None);
        assert_eq!(p.query_without_key("api-keys=1&api-key").as_deref(), Some("api-keys=1"));
    }
}
