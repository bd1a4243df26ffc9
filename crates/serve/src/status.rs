//! Errors as the Kubernetes API gives them: a `meta.k8s.io/v1` Status object with the HTTP code,
//! a machine-readable reason and, where it applies, the kind and name asked for.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// What an overloaded server asks a client to wait before it retries.
pub const RETRY_AFTER_SECONDS: u64 = 1;

#[derive(Debug, Clone)]
pub struct Status {
    pub code: StatusCode,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl Status {
    pub fn not_found(kind: &str, name: &str) -> Status {
        Status {
            code: StatusCode::NOT_FOUND,
            reason: "NotFound",
            message: format!("{kind} {name:?} not found"),
            details: Some(json!({"name": name, "kind": kind})),
        }
    }

    /// A path that names no resource this server has.
    pub fn no_resource(path: &str) -> Status {
        Status {
            code: StatusCode::NOT_FOUND,
            reason: "NotFound",
            message: format!("the server could not find the requested resource ({path})"),
            details: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Status {
        Status {
            code: StatusCode::BAD_REQUEST,
            reason: "BadRequest",
            message: message.into(),
            details: None,
        }
    }

    pub fn method_not_allowed(method: &str) -> Status {
        Status {
            code: StatusCode::METHOD_NOT_ALLOWED,
            reason: "MethodNotAllowed",
            message: format!(
                "{method} is not allowed: veloscope serves a backup read-only (get, list and watch)"
            ),
            details: None,
        }
    }

    pub fn unauthorized() -> Status {
        Status {
            code: StatusCode::UNAUTHORIZED,
            reason: "Unauthorized",
            message: "Unauthorized".into(),
            details: None,
        }
    }

    pub fn internal(message: impl Into<String>) -> Status {
        Status {
            code: StatusCode::INTERNAL_SERVER_ERROR,
            reason: "InternalError",
            message: message.into(),
            details: None,
        }
    }

    pub fn not_acceptable(accept: &str) -> Status {
        Status {
            code: StatusCode::NOT_ACCEPTABLE,
            reason: "NotAcceptable",
            message: format!(
                "only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io (asked for {accept:?})"
            ),
            details: None,
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Status {
        Status {
            code: StatusCode::FORBIDDEN,
            reason: "Forbidden",
            message: message.into(),
            details: None,
        }
    }

    /// Overload: the client is told when to retry (client-go honours `Retry-After` on 429).
    pub fn too_many_requests(message: impl Into<String>) -> Status {
        Status {
            code: StatusCode::TOO_MANY_REQUESTS,
            reason: "TooManyRequests",
            message: message.into(),
            details: Some(json!({"retryAfterSeconds": RETRY_AFTER_SECONDS})),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code.as_u16(),
        });
        if let Some(d) = &self.details {
            v["details"] = d.clone();
        }
        v
    }
}

impl IntoResponse for Status {
    fn into_response(self) -> Response {
        let body = self.to_json().to_string();
        let mut response = (
            self.code,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
        if matches!(
            self.code,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(RETRY_AFTER_SECONDS),
            );
        }
        response
    }
}

impl From<veloscope_core::Error> for Status {
    fn from(e: veloscope_core::Error) -> Status {
        use veloscope_core::ErrorKind;
        match e.kind() {
            ErrorKind::Usage => Status::bad_request(e.to_string()),
            ErrorKind::NotFound => Status {
                code: StatusCode::NOT_FOUND,
                reason: "NotFound",
                message: e.to_string(),
                details: None,
            },
            _ => Status::internal(e.to_string()),
        }
    }
}
