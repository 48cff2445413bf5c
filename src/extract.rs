//! Request extractors that answer bad input with a 422 naming the failing field.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

use crate::error::{deserialize_problem, AppError};
use crate::message::msg;

/// Largest JSON body accepted by default.
pub const JSON_LIMIT: usize = 256 * 1024;
/// Largest body of the authentication endpoints (credentials and tokens are small).
pub const AUTH_LIMIT: usize = 8 * 1024;

/// A JSON body of at most `LIMIT` bytes (413 beyond). Unlike `web::Json`, a type error names the
/// field (`grade`, `items[2].result`).
pub struct JsonBody<T, const LIMIT: usize = JSON_LIMIT>(pub T);

impl<T: DeserializeOwned + 'static, const LIMIT: usize> FromRequest for JsonBody<T, LIMIT> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let essence = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                essence == "application/json" || essence.ends_with("+json")
            })
            .unwrap_or(false);
        let too_long = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .is_some_and(|n| n > LIMIT);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if too_long {
                return Err(AppError::PayloadTooLarge(format!(
                    "The body is larger than {LIMIT} bytes."
                )));
            }
            if !is_json {
                return Err(AppError::BadRequest(
                    "Expected a JSON body (Content-Type: application/json).".into(),
                ));
            }
            let bytes = body.await.map_err(|e| {
                if crate::limits::too_slow(&e) {
                    AppError::Timeout
                } else {
                    AppError::PayloadTooLarge(format!("The body could not be read: {e}"))
                }
            })?;
            if bytes.len() > LIMIT {
                return Err(AppError::PayloadTooLarge(format!(
                    "The body is larger than {LIMIT} bytes."
                )));
            }
            parse_json(&bytes).map(JsonBody)
        })
    }
}

/// Parses a request body. Every body of this API is a JSON object; serde would also read a
/// struct from an array by position, which no client means. No text may hold a NUL character
/// (PostgreSQL refuses to store one): the field that does is named.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        Some(_) => return Err(AppError::field("body", msg::JSON_OBJECT)),
        None => return Err(AppError::field("body", msg::JSON_EMPTY)),
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| AppError::field("body", msg::JSON_INVALID.detailed(e.to_string())))?;
    if let Some(path) = nul_in(&value, String::new()) {
        return Err(AppError::field(&path, msg::NUL));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        deserialize_problem(&path, &e.into_inner().to_string())
    })
}

/// The path of the first string (or key) holding a NUL character, as serde names fields.
fn nul_in(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(s) if s.contains('\0') => {
            Some(if path.is_empty() { "body".into() } else { path })
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_in(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some(join(&k.replace('\0', "")))
            } else {
                nul_in(v, join(k))
            }
        }),
        _ => None,
    }
}

/// A query string. A bad value answers 422 naming the parameter.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for QueryParams<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(QueryParams))
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    if let Some((key, _)) =
        form_urlencoded::parse(query.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(AppError::field(&key.replace('\0', ""), msg::NUL));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        deserialize_problem(&path, &e.into_inner().to_string())
    })
}
