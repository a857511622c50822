//! `Caller`: the person behind the request's bearer token.
use super::ApiError;
use app::AppState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, StatusCode};
use services::auth::Actor;

pub struct Caller(pub Actor);

fn unauthenticated(message: &str) -> ApiError {
    ApiError::status(StatusCode::UNAUTHORIZED, "unauthenticated", message)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let missing =
            || unauthenticated("send an API token as `Authorization: Bearer ghk_…`; create one with POST /api/v1/tokens or on the console's API tokens page");
        let value = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(missing)?;
        let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).ok_or_else(missing)?;
        match services::tokens::authenticate(&state.services.db, token.trim()).await {
            Ok(actor) => Ok(Caller(actor)),
            Err(services::Error::Unauthenticated) => Err(unauthenticated("this API token is not valid (revoked or mistyped): create a new one")),
            Err(other) => Err(other.into()),
        }
    }
}
