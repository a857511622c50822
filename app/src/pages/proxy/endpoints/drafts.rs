//! What an Endpoints card's fields hold before Save, kept per environment while the cards are
//! read again.
use leptos::prelude::*;
use services::model::EndpointConfig;
use std::collections::HashMap;

/// What a card's fields hold, saved or not.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub url: String,
    pub endpoint_ids: Vec<i32>,
    pub verify_hostname: bool,
    pub verify_chain: bool,
    pub mutual_ssl: bool,
    pub client_id: Option<i32>,
    pub connect: String,
    pub read: String,
    pub min_version: String,
    pub max_version: String,
    pub suites: Vec<String>,
    /// One pin per line, as typed.
    pub pins: String,
}

impl From<&EndpointConfig> for Draft {
    fn from(c: &EndpointConfig) -> Self {
        Draft {
            url: c.url.clone(),
            endpoint_ids: c.endpoint_certificate_ids.clone(),
            verify_hostname: c.verify_hostname,
            verify_chain: c.verify_chain,
            mutual_ssl: c.mutual_ssl,
            client_id: c.client_certificate_id,
            connect: c.connect_timeout_ms.to_string(),
            read: c.read_timeout_ms.to_string(),
            min_version: c.tls.min_version.clone(),
            max_version: c.tls.max_version.clone(),
            suites: c.tls.cipher_suites.clone(),
            pins: c.pins.join("\n"),
        }
    }
}

/// Unsaved edits per environment, kept across the cards being read again (after generating a
/// key pair, say), so a publisher who turned on Mutual SSL and then added a certificate does
/// not have to turn it on again. Not reactive: the cards read it only when they render.
#[derive(Clone, Copy)]
pub struct Drafts(StoredValue<HashMap<String, Draft>>);

impl Default for Drafts {
    fn default() -> Self {
        Drafts(StoredValue::new(HashMap::new()))
    }
}

impl Drafts {
    pub fn current(self, env: &str) -> Option<Draft> {
        self.0.with_value(|m| m.get(env).cloned())
    }

    pub fn edit(self, card: StoredValue<(String, Draft)>, change: impl FnOnce(&mut Draft)) {
        let (env, saved) = card.get_value();
        self.0.update_value(|m| change(m.entry(env).or_insert(saved)));
    }

    pub fn forget(self, env: &str) {
        self.0.update_value(|m| {
            m.remove(env);
        });
    }
}
