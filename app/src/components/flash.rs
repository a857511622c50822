//! Flash messages: set by a server function, shown once on the next page. Without JavaScript
//! the form's redirect loads that page; with JavaScript, pages nudge the layout after an action.
use super::copy_field::CopyField;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A one-shot message: what the last action did, or why it failed (for forms that post
/// outside server functions, such as file uploads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub text: String,
    pub error: bool,
    /// Secrets shown this once beside the text (a new subscription's keys), each with a Copy
    /// button; gone from the session once shown.
    #[serde(default)]
    pub secrets: Vec<(String, String)>,
}

/// Bumped to make the layout fetch the flash message again.
#[derive(Clone, Copy)]
pub struct FlashRefresh(pub RwSignal<usize>);

/// Re-reads the flash message whenever this action completes (JavaScript only; without it the
/// page reloads anyway).
pub fn refresh_flash_on(version: RwSignal<usize>) {
    if let Some(FlashRefresh(refresh)) = use_context::<FlashRefresh>() {
        Effect::new(move |_| {
            if version.get() > 0 {
                refresh.update(|n| *n += 1);
            }
        });
    }
}

#[component]
pub fn FlashBanner(message: Option<Flash>) -> impl IntoView {
    message.map(|flash| {
        if flash.error {
            view! { <div class="flash flash-error" role="alert" data-testid="flash">{flash.text}</div> }.into_any()
        } else {
            let secrets = flash
                .secrets
                .into_iter()
                .enumerate()
                .map(|(i, (label, value))| view! { <CopyField id=format!("flash-secret-{i}") label value class="field invoke secret"/> })
                .collect_view();
            view! { <div class="flash" role="status" data-testid="flash">{flash.text}{secrets}</div> }.into_any()
        }
    })
}
