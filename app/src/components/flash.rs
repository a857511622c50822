//! Flash messages: set by a server function, shown once on the next page. Without JavaScript
//! the form's redirect loads that page; with JavaScript, pages nudge the layout after an action.
use leptos::prelude::*;

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
pub fn FlashBanner(message: Option<String>) -> impl IntoView {
    message.map(|text| {
        view! {
            <div class="flash" role="status" data-testid="flash">
                {text}
            </div>
        }
    })
}
