use super::{ApiError, ApiJson, Caller};
use app::AppState;
use axum::extract::State;
use axum::Json;
use services::model::{Settings, SettingsChanges};

/// The instance's settings (who may create projects). Readable by every caller.
#[utoipa::path(get, path = "/settings", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = Settings), (status = 401, body = super::error::ErrorBody)))]
pub async fn get_settings(State(state): State<AppState>, _caller: Caller) -> Result<Json<Settings>, ApiError> {
    Ok(Json(services::settings::get(&state.services.db).await?))
}

/// Changes the settings given (admins only): `{"project_creation": "admins" | "everyone"}`.
#[utoipa::path(patch, path = "/settings", tag = "settings", request_body = SettingsChanges, security(("bearer" = [])),
    responses((status = 200, body = Settings), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn update_settings(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiJson(body): ApiJson<SettingsChanges>,
) -> Result<Json<Settings>, ApiError> {
    Ok(Json(services::settings::update(&state.services.db, &actor, body).await?))
}
