//! Pieces every page uses: the console layout, flash messages, form errors, pagination,
//! empty states and confirmations.
pub mod client_certificate;
pub mod confirm;
pub mod copy_field;
pub mod deployment_badge;
pub mod flash;
pub mod forms;
pub mod layout;
pub mod pagination;
pub mod project_tabs;

/// "2026-11-25 09:50 UTC": times as the console shows them.
pub fn format_time(t: &time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}
