use super::{ApiError, ApiJson};
use app::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use services::model::NewApiToken;
use std::net::SocketAddr;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    email: String,
    password: String,
    /// What the token is for, such as "ci".
    name: String,
}

/// Exchanges an email and password for an API token. The token is shown once; keep it.
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = TokenRequest,
    responses((status = 201, body = NewApiToken), (status = 401, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<NewApiToken>), ApiError> {
    let s = &state.services;
    let actor = services::auth::sign_in(&s.db, &s.throttle, &body.email, &body.password, Some(peer.ip())).await?;
    let token = services::tokens::create(&s.db, &actor, &body.name).await?;
    Ok((StatusCode::CREATED, Json(token)))
}
