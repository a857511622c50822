//! The Test page's server function: a request sent through the environment's real gateway
//! listener (`services::try_gateway`); and the recent failed calls the Activity page lists.
use crate::AppError;
use leptos::prelude::*;

/// The Test page: a request through the environment's real gateway listener.
#[server]
#[allow(clippy::too_many_arguments)]
pub async fn send_test_request(
    project: String,
    proxy: String,
    environment: String,
    method: String,
    path: String,
    headers: String,
    body: String,
) -> Result<services::model::TestResponse, AppError> {
    use super::guard;
    let (services, actor) = guard::actor().await?;
    let answer = services::try_gateway::send(&services, &actor, &project, &proxy, &environment, &method, &path, &headers, &body).await?;
    // Without JavaScript the page reloads and cannot show the returned answer: summarise it.
    let headers: axum::http::HeaderMap = leptos_axum::extract().await?;
    if headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html")) {
        // The answer's headers too: what a policy changed is only seen there.
        let listed: Vec<String> = answer.headers.iter().take(30).map(|(n, v)| format!("{n}: {}", v.chars().take(200).collect::<String>())).collect();
        let mut text = format!(
            "{} {} → HTTP {} in {} ms: {} Headers: {}.",
            method.to_uppercase(),
            answer.url,
            answer.status,
            answer.elapsed_ms,
            answer.body.chars().take(300).collect::<String>(),
            listed.join("; ")
        );
        if let Some(detail) = &answer.error_detail {
            text.push_str(&format!(" What happened: {detail}"));
        }
        guard::store_flash(&guard::session().await?, crate::components::flash::Flash { text, error: answer.status >= 400, secrets: Vec::new() }).await?;
    }
    Ok(answer)
}

/// The proxy's recent calls that failed at the backend, with the detail callers were not told.
#[server]
pub async fn list_failed_calls(project: String, proxy: String) -> Result<Vec<services::model::FailedCall>, AppError> {
    let (services, actor) = super::guard::actor().await?;
    Ok(services::try_gateway::failed_calls(&services, &actor, &project, &proxy).await?)
}
