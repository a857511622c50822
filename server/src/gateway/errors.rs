//! The gateway's own answers: JSON `{"error":{"code","message","request_id"}}` with the status
//! the code implies, so a client (and the console's Test page) can tell what went wrong.
use super::forward::Body;
use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

pub fn respond(status: u16, code: &str, message: &str, request_id: &str) -> Response<Body> {
    let body = serde_json::json!({ "error": { "code": code, "message": message, "request_id": request_id } });
    let mut response = Response::new(Either::Right(Full::new(Bytes::from(body.to_string()))));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", id);
    }
    response
}
