//! Confirmation before a destructive action that works without JavaScript: the first click
//! opens a `<details>` with the real submit button and what it will do.
use leptos::prelude::*;

#[component]
pub fn ConfirmSubmit(
    /// The first button's label, e.g. "Remove".
    label: &'static str,
    /// What will happen, e.g. "Remove ada@example.com from this project?".
    question: String,
    /// The confirming button's label, e.g. "Yes, remove".
    confirm: &'static str,
    /// The id of the form to submit, when the button cannot sit inside it (forms do not nest).
    #[prop(optional, into)]
    form: Option<String>,
) -> impl IntoView {
    view! {
        <details class="confirm">
            <summary class="button danger-outline">{label}</summary>
            <div class="confirm-panel" role="alertdialog">
                <p>{question}</p>
                <button type="submit" class="button danger" form=form>{confirm}</button>
            </div>
        </details>
    }
}
