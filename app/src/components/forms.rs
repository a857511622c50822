//! Showing a server function's error beside its form: `FormError` for errors about the whole
//! form, `FieldError` beside the field an error names.
use crate::AppError;
use leptos::prelude::*;

type Outcome<T> = Option<Result<T, AppError>>;

/// Errors that name no field (or a field the form does not show) go at the top of the form.
#[component]
pub fn FormError<T, V>(
    /// An action's `value()`.
    value: V,
    /// The fields that show their own errors.
    #[prop(optional)]
    fields: &'static [&'static str],
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: Get<Value = Outcome<T>> + Send + Sync + 'static,
{
    // Always an element, so the page's structure is the same with and without an error
    // (a bare closure here confused hydration next to other dynamic siblings).
    view! {
        <div class="form-error-slot">
            {move || {
                value.get().and_then(Result::err).filter(|e| e.field().is_none_or(|f| !fields.contains(&f))).map(|e| {
                    view! { <p class="form-error" role="alert">{e.to_string()}</p> }
                })
            }}
        </div>
    }
}

#[component]
pub fn FieldError<T, V>(value: V, field: &'static str) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: Get<Value = Outcome<T>> + Send + Sync + 'static,
{
    view! {
        <div class="field-error-slot">
            {move || {
                value.get().and_then(Result::err).filter(|e| e.field() == Some(field)).map(|e| {
                    view! { <p class="field-error" role="alert" id=format!("{field}-error")>{e.to_string()}</p> }
                })
            }}
        </div>
    }
}

/// A short explanation for an empty list, with what to do next.
#[component]
pub fn EmptyState(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="empty-state">
            <h3>{title}</h3>
            {children()}
        </div>
    }
}

/// A failed page load, in words.
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    let hint = match &error.0 {
        services::Error::Unauthenticated => Some(view! { <a href="/signin">"Sign in"</a> }),
        _ => None,
    };
    view! {
        <div class="load-error" role="alert">
            <p>{error.to_string()}</p>
            {hint}
        </div>
    }
}
