//! A read-only field with a Copy button: an invoke URL, or a key shown once. Hydrated pages copy
//! with the button; without JavaScript the field's text can be selected and copied by hand.
use leptos::prelude::*;

#[component]
pub fn CopyField(
    /// The field's id, for its label.
    id: String,
    label: String,
    value: String,
    /// Extra classes for the wrapper (`field invoke` by default).
    #[prop(optional, into)]
    class: Option<String>,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let to_copy = value.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&to_copy);
        }
        let _ = &to_copy;
        copied.set(true);
    };
    view! {
        <div class=class.unwrap_or_else(|| "field invoke".into())>
            <label for=id.clone()>{label}</label>
            <div class="invoke-row">
                <input id=id readonly value=value/>
                <button type="button" class="button small" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            </div>
        </div>
    }
}
