//! Consumers as the console and the REST API see them: products (with their plan), the
//! subscriptions to them, and a proxy's access setting.
use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;

/// The largest rate limit: requests per window.
pub const MAX_RATE_REQUESTS: u32 = 1_000_000;
/// The longest rate-limit window: a day.
pub const MAX_RATE_SECONDS: u32 = 86_400;
/// The largest quota per day or month.
pub const MAX_QUOTA_REQUESTS: u64 = 1_000_000_000_000;
/// The default name of the key's header and query parameter (seed 003).
pub const DEFAULT_KEY_NAME: &str = "api-key";

/// Who may call a proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AccessMode {
    /// Anyone who reaches the gateway.
    #[default]
    Open,
    /// Callers with a key of an active subscription to a product that includes the proxy.
    Subscription,
}

/// A proxy's access setting, part of its revision (it changes at the next deploy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Access {
    #[serde(default)]
    pub mode: AccessMode,
    /// The header callers send their key in.
    #[serde(default = "default_key_name")]
    pub key_header: String,
    /// The query parameter callers may send it in instead.
    #[serde(default = "default_key_name")]
    pub key_query: String,
    /// Whether a client certificate bound to a subscription (by fingerprint, or issued by a
    /// trusted client CA) is accepted instead of a key.
    #[serde(default)]
    pub client_certificate: bool,
}

fn default_key_name() -> String {
    DEFAULT_KEY_NAME.to_string()
}

impl Default for Access {
    fn default() -> Self {
        Access { mode: AccessMode::Open, key_header: default_key_name(), key_query: default_key_name(), client_certificate: false }
    }
}

/// N requests per S seconds, per subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct RateLimitSetting {
    pub requests: i64,
    pub per_seconds: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum QuotaPeriod {
    Day,
    Month,
}

impl QuotaPeriod {
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaPeriod::Day => "day",
            QuotaPeriod::Month => "month",
        }
    }

    pub fn parse(text: &str) -> Option<QuotaPeriod> {
        [QuotaPeriod::Day, QuotaPeriod::Month].into_iter().find(|p| p.as_str() == text)
    }
}

/// N requests per calendar day or month (UTC), per subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct QuotaSetting {
    pub requests: i64,
    pub period: QuotaPeriod,
}

/// A proxy a product grants, as listed with the product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct ProductProxy {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Product {
    pub id: i32,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub proxies: Vec<ProductProxy>,
    pub rate_limit: Option<RateLimitSetting>,
    pub quota: Option<QuotaSetting>,
    /// Subscriptions that are not cancelled.
    pub subscriptions: u64,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct NewProduct {
    pub name: String,
    /// Derived from the name when empty or missing.
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub description: String,
    /// The proxies it grants, by id or slug.
    #[serde(default)]
    pub proxies: Vec<String>,
    #[serde(default)]
    pub rate_limit: Option<RateLimitSetting>,
    #[serde(default)]
    pub quota: Option<QuotaSetting>,
}

/// A partial update: only the fields given change; `"rate_limit": null` or `"quota": null`
/// removes that limit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct ProductChanges {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub proxies: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub rate_limit: Option<Option<RateLimitSetting>>,
    #[serde(default, deserialize_with = "present")]
    pub quota: Option<Option<QuotaSetting>>,
}

/// A field that is present (even as `null`) is `Some`; a missing one stays `None`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionState {
    Active,
    Suspended,
    /// Final: its keys are no longer valid and it cannot be resumed.
    Cancelled,
}

impl SubscriptionState {
    pub const ALL: [SubscriptionState; 3] = [SubscriptionState::Active, SubscriptionState::Suspended, SubscriptionState::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::Active => "active",
            SubscriptionState::Suspended => "suspended",
            SubscriptionState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<SubscriptionState> {
        SubscriptionState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The product a subscription is to, as listed with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct SubscribedProduct {
    pub id: i32,
    pub slug: String,
    pub name: String,
}

/// A subscription as listed: never its keys, only how each begins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Subscription {
    pub id: i32,
    pub name: String,
    pub contact_email: String,
    pub product: SubscribedProduct,
    pub state: SubscriptionState,
    /// The first characters of the primary key, to tell keys apart.
    pub primary_key_prefix: String,
    pub secondary_key_prefix: String,
    /// The client certificate that calls as this subscription, where a proxy accepts one.
    pub client_certificate: Option<ClientCertificateBinding>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct NewSubscription {
    /// The consuming application.
    pub name: String,
    /// The product, by id or slug.
    pub product: String,
    #[serde(default)]
    pub contact_email: String,
    /// Binds one client certificate by its SHA-256 fingerprint (64 hex digits, colons allowed).
    #[serde(default)]
    pub client_certificate_fingerprint: String,
    /// Or every certificate a trusted client CA (its certificate store id) issues.
    #[serde(default)]
    pub client_ca: Option<i32>,
}

/// What a subscription's client certificate is: one certificate, or any a trusted CA issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct ClientCertificateBinding {
    /// The certificate's SHA-256, as the certificate store writes fingerprints (AB:CD:…).
    pub fingerprint: Option<String>,
    pub ca: Option<BoundCa>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct BoundCa {
    pub id: i32,
    pub name: String,
}

/// A new subscription with both its keys: the only time they are shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct CreatedSubscription {
    #[serde(flatten)]
    pub subscription: Subscription,
    pub primary_key: String,
    pub secondary_key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum KeyName {
    Primary,
    Secondary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Regenerate {
    pub key: KeyName,
}

/// A regenerated key: the only time it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct RegeneratedKey {
    pub which: KeyName,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct SubscriptionChanges {
    #[serde(default)]
    pub state: Option<SubscriptionState>,
    /// Binds one client certificate instead of what was bound; `null` unbinds.
    #[serde(default, deserialize_with = "present")]
    pub client_certificate_fingerprint: Option<Option<String>>,
    /// Binds a trusted client CA instead of what was bound; `null` unbinds.
    #[serde(default, deserialize_with = "present")]
    pub client_ca: Option<Option<i32>>,
}

/// One day of a subscription's requests (UTC), by outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct UsageDay {
    /// "2026-12-03".
    pub day: String,
    pub allowed: u64,
    pub rate_limited: u64,
    /// Refused because the quota was used up.
    pub quota: u64,
    /// Refused for another reason: suspended, or the product does not include the proxy.
    pub refused: u64,
}

/// A subscription's requests per day, oldest first, every day of the range present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct SubscriptionUsage {
    pub subscription_id: i32,
    pub days: Vec<UsageDay>,
}
