//! The card's TLS fields: the versions and TLS 1.2 suites offered to the backend, and the
//! pinned keys. Folded away while they hold the defaults; open when set or refused.
use super::drafts::Draft;
use super::fields::CardForm;
use crate::components::forms::FieldError;
use leptos::prelude::*;

const FIELDS: [&str; 4] = ["tls.min_version", "tls.max_version", "tls.cipher_suites", "pins"];

#[component]
pub fn TlsFields(form: CardForm, draft: Draft, suites: Vec<String>) -> impl IntoView {
    let value = form.save.value();
    let refused = move || value.with(|v| matches!(v, Some(Err(e)) if e.field().is_some_and(|f| FIELDS.contains(&f))));
    let set = draft.min_version != "1.2" || draft.max_version != "1.3" || !draft.suites.is_empty() || !draft.pins.trim().is_empty();
    let form_id = form.form_id();
    let version = move |name: &'static str, label: &'static str, current: String| {
        let id = form.id(name);
        let current_12 = current == "1.2";
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <select id=id form=form.form_id() name=name
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        form.edit(|d| if name == "tls_min_version" { d.min_version = v } else { d.max_version = v })
                    }>
                    <option value="1.2" selected=current_12>"TLS 1.2"</option>
                    <option value="1.3" selected=!current_12>"TLS 1.3"</option>
                </select>
            </div>
        }
    };
    let boxes = suites
        .into_iter()
        .enumerate()
        .map(|(i, suite)| {
            let box_id = form.id(&format!("suite-{i}"));
            let checked = draft.suites.contains(&suite);
            let name = suite.clone();
            view! {
                <div class="choice">
                    <input type="checkbox" id=box_id.clone() form=form_id.clone() name=format!("tls_cipher_suites[{i}]") value=suite.clone() checked=checked
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            let name = name.clone();
                            form.edit(|d| { d.suites.retain(|s| *s != name); if on { d.suites.push(name) } })
                        }/>
                    <label for=box_id><code>{suite}</code></label>
                </div>
            }
        })
        .collect_view();
    let pins_id = form.id("pins");
    view! {
        <details class="tls-settings" open=move || set || refused()>
            <summary>"TLS to the backend: versions, cipher suites, pinned keys"</summary>
            <div class="form-grid">
                {version("tls_min_version", "Minimum TLS version", draft.min_version.clone())}
                {version("tls_max_version", "Maximum TLS version", draft.max_version.clone())}
            </div>
            <FieldError value field="tls.min_version"/>
            <FieldError value field="tls.max_version"/>
            <fieldset class="choices">
                <legend>"TLS 1.2 cipher suites"</legend>
                <p class="hint">"None ticked: every suite listed. TLS 1.3 suites are always offered."</p>
                {boxes}
                <FieldError value field="tls.cipher_suites"/>
            </fieldset>
            <div class="field">
                <label for=pins_id.clone()>"Pinned keys"</label>
                <textarea id=pins_id form=form_id.clone() name="pins" rows="3" spellcheck="false" placeholder="sha256/…"
                    on:input=move |ev| { let v = event_target_value(&ev); form.edit(|d| d.pins = v) }>{draft.pins.clone()}</textarea>
                <p class="hint">
                    "One sha256/… pin per line (Check connection shows the backend's). With Verify certificate chain on, the backend needs a trusted chain and a pinned key; off, a pinned key alone. Another key is refused with upstream_tls_pin_mismatch."
                </p>
                <FieldError value field="pins"/>
            </div>
        </details>
    }
}
