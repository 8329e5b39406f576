//! The API errors the fake server returns, shaped exactly like the real server's `Status`
//! bodies (kind, code, reason, message, details.causes), so that clients classify them the
//! same way (kube-rs matches on `reason`, kubectl prints `message` and the causes).

use serde_json::{json, Value};

/// One cause of an error, as in `Status.details.causes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// Machine-readable reason, e.g. `FieldManagerConflict`, `FieldValueInvalid`.
    pub reason: String,
    /// Human-readable message of this cause.
    pub message: String,
    /// The field the cause is about, e.g. `.data.key` or `spec.backends[0].weight`.
    pub field: String,
}

/// A failed API request: HTTP code, `Status.reason` and `Status.message`, plus details.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code} {reason}: {message}")]
pub struct ApiError {
    /// HTTP status code (404, 409, 422, ...).
    pub code: u16,
    /// `Status.reason` (NotFound, AlreadyExists, Conflict, Invalid, BadRequest, ...).
    pub reason: String,
    /// `Status.message`, word for word what the real server says.
    pub message: String,
    /// `Status.details` (boxed: errors travel in `Result`s and should stay small).
    pub details: Box<StatusDetails>,
}

/// `Status.details`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusDetails {
    /// `details.name`, if any.
    pub name: Option<String>,
    /// `details.group`, if any.
    pub group: Option<String>,
    /// `details.kind` (the resource plural for NotFound/AlreadyExists, the Kind for Invalid).
    pub kind: Option<String>,
    /// `details.causes`.
    pub causes: Vec<Cause>,
}

impl ApiError {
    /// An error without details.
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason: reason.to_string(),
            message: message.into(),
            details: Box::default(),
        }
    }

    fn with_details(mut self, group: &str, kind: &str, name: &str) -> ApiError {
        self.details.group = Some(group.to_string());
        self.details.kind = Some(kind.to_string());
        self.details.name = Some(name.to_string());
        self
    }

    /// `<resource>.<group> "<name>" not found` (404 NotFound).
    pub fn not_found(group: &str, resource: &str, name: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", qualified(resource, group)),
        )
        .with_details(group, resource, name)
    }

    /// `<resource>.<group> "<name>" already exists` (409 AlreadyExists).
    pub fn already_exists(group: &str, resource: &str, name: &str) -> ApiError {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", qualified(resource, group)),
        )
        .with_details(group, resource, name)
    }

    /// The optimistic-concurrency conflict of an update with a stale resourceVersion.
    pub fn stale(group: &str, resource: &str, name: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                qualified(resource, group)
            ),
        )
        .with_details(group, resource, name)
    }

    /// 422 Invalid: `<Kind>.<group> "<name>" is invalid: <field>: <message>` (several in brackets).
    pub fn invalid(group: &str, kind: &str, name: &str, causes: Vec<Cause>) -> ApiError {
        let parts: Vec<String> = causes
            .iter()
            .map(|c| {
                if c.field.is_empty() {
                    c.message.clone()
                } else {
                    format!("{}: {}", c.field, c.message)
                }
            })
            .collect();
        let joined = if parts.len() == 1 {
            parts[0].clone()
        } else {
            format!("[{}]", parts.join(", "))
        };
        let mut e = ApiError::new(
            422,
            "Invalid",
            format!("{} \"{name}\" is invalid: {joined}", qualified(kind, group)),
        )
        .with_details(group, kind, name);
        e.details.causes = causes;
        e
    }

    /// 400 BadRequest with a message.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    /// 405 MethodNotAllowed.
    pub fn method_not_allowed(method: &str) -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            format!("the server does not allow this method on the requested resource ({method})"),
        )
    }

    /// `Status.details.causes`.
    pub fn causes(&self) -> &[Cause] {
        &self.details.causes
    }

    /// The real `Status` object for this error.
    pub fn to_status(&self) -> Value {
        let mut details = serde_json::Map::new();
        if let Some(name) = &self.details.name {
            details.insert("name".into(), json!(name));
        }
        if let Some(group) = &self.details.group {
            if !group.is_empty() {
                details.insert("group".into(), json!(group));
            }
        }
        if let Some(kind) = &self.details.kind {
            details.insert("kind".into(), json!(kind));
        }
        if !self.details.causes.is_empty() {
            let causes: Vec<Value> = self
                .details
                .causes
                .iter()
                .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
                .collect();
            details.insert("causes".into(), Value::Array(causes));
        }
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !details.is_empty() {
            status["details"] = Value::Object(details);
        }
        if self.reason == "NotFound"
            && self.message == "the server could not find the requested resource"
        {
            status["details"] = json!({});
        }
        status
    }
}

/// `resource.group`, or just `resource` for the core group (as the real messages print it).
fn qualified(resource: &str, group: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}
