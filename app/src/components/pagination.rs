//! "Page 2 of 5" with previous/next links that keep the other query parameters.
use leptos::prelude::*;

#[component]
pub fn Pagination(
    page: u64,
    page_count: u64,
    total: u64,
    /// Builds the link for a page number.
    href: impl Fn(u64) -> String + 'static,
) -> impl IntoView {
    (page_count > 1 || page > 1).then(|| {
        let prev = (page > 1).then(|| href(page - 1));
        let next = (page < page_count).then(|| href(page + 1));
        view! {
            <nav class="pagination" aria-label="Pages">
                {prev.map(|h| view! { <a href=h rel="prev">"← Previous"</a> })}
                <span>{format!("Page {page} of {page_count} · {total} in all")}</span>
                {next.map(|h| view! { <a href=h rel="next">"Next →"</a> })}
            </nav>
        }
    })
}
