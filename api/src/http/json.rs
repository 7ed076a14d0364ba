//! A strict JSON body extractor: the right content type, a bounded size, and
//! deserialisation errors reported as problem details naming the field by its
//! JSON path — so malformed bodies get the same error shape as everything else.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use super::problem::{FieldError, Problem};

/// A JSON body, checked and parsed.
pub struct StrictJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for StrictJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too-large",
                    "Body too large",
                    r.body_text(),
                )
            } else {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "unreadable-body",
                    "Unreadable body",
                    r.body_text(),
                )
            }
        })?;
        parse(&bytes).map(StrictJson)
    }
}

/// Parses JSON bytes into `T`, mapping errors to problem details that name
/// every invalid field, not only the first. A string holding a control
/// character (see [`is_refused_control`]) is refused too, naming its field:
/// PostgreSQL cannot store a NUL in jsonb, and none belongs in a name, an id
/// or a note.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    refuse_control_characters(bytes)?;
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let problem = problem_for(e);
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(value) if !problem.errors.is_empty() => {
                Problem::invalid(all_errors::<T>(value, problem.errors))
            }
            _ => problem,
        }
    })
}

/// Deserialises an already-parsed value into `T`, mapping errors alike.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let path = path_of(e.path());
        let inner = e.into_inner();
        Problem::invalid(all_errors::<T>(
            value,
            vec![field_error(path, inner.to_string())],
        ))
    })
}

/// Every invalid field of an object body: serde stops at the first, so the
/// field at fault is set aside and the rest is read again, until nothing
/// else is wrong but what was set aside (which then reads as missing).
fn all_errors<T: DeserializeOwned>(
    value: serde_json::Value,
    first: Vec<FieldError>,
) -> Vec<FieldError> {
    let serde_json::Value::Object(mut obj) = value else {
        return first;
    };
    let mut errors = first;
    for _ in 0..obj.len() {
        let Some(last) = errors.last() else {
            break;
        };
        // Only a top-level field can be set aside.
        let key = last
            .field
            .split(['.', '['])
            .next()
            .unwrap_or_default()
            .to_owned();
        if obj.remove(&key).is_none() {
            break;
        }
        let Err(e) =
            serde_path_to_error::deserialize::<_, T>(serde_json::Value::Object(obj.clone()))
        else {
            break;
        };
        let next = field_error(path_of(e.path()), e.into_inner().to_string());
        let set_aside = errors.iter().any(|f| f.field == next.field);
        if set_aside {
            break; // only what was set aside is left: it now reads as missing
        }
        errors.push(next);
    }
    errors
}

fn problem_for(e: serde_path_to_error::Error<serde_json::Error>) -> Problem {
    let path = path_of(e.path());
    let inner = e.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            Problem::invalid(vec![field_error(path, inner.to_string())])
        }
        _ => Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "Malformed JSON",
            inner.to_string(),
        ),
    }
}

fn path_of(p: &serde_path_to_error::Path) -> String {
    let s = p.to_string();
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// Serde's "unknown field `x`" names the parent path; point at the field.
fn field_error(path: String, message: String) -> FieldError {
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        // The path already ends at the unknown key.
        if let Some(name) = rest.split('`').next() {
            let field = if path == "." { name.to_owned() } else { path };
            return FieldError {
                field,
                message: "is not a known field".into(),
            };
        }
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        if let Some(name) = rest.split('`').next() {
            let field = if path == "." {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            };
            return FieldError {
                field,
                message: "is required".into(),
            };
        }
    }
    FieldError {
        field: path,
        message,
    }
}

/// Strings without a refused control character, as a regular expression
/// (for the API description; a test keeps it equal to
/// [`is_refused_control`]).
pub const TEXT_PATTERN: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";

/// The characters no string may hold: C0 controls but tab, newline and
/// carriage return (which free text such as a staff note may carry), DEL,
/// and the C1 controls.
pub fn is_refused_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// Refuses a body whose strings hold a refused control character, naming
/// every such field. JSON can only carry one as an escape (`\u0000`, `\b`,
/// `\f`) or, for C1, as raw UTF-8 (0xC2 0x80–0x9F), so bodies without either
/// are passed at the cost of one byte scan.
fn refuse_control_characters(bytes: &[u8]) -> Result<(), Problem> {
    let suspicious = bytes.windows(2).any(|w| {
        (w[0] == b'\\' && matches!(w[1], b'u' | b'b' | b'f'))
            || (w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1]))
    });
    if !suspicious {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(()); // malformed: the parse says so
    };
    let mut fields = Vec::new();
    control_fields(&value, "", &mut fields);
    if fields.is_empty() {
        return Ok(());
    }
    Err(Problem::invalid(
        fields
            .into_iter()
            .map(|field| FieldError {
                field,
                message: "must not contain control characters (U+0000-U+001F except tab, \
                          newline and carriage return, U+007F-U+009F)"
                    .into(),
            })
            .collect(),
    ))
}

fn control_fields(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    use serde_json::Value;
    let at = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match v {
        Value::String(s) if s.chars().any(is_refused_control) => out.push(if path.is_empty() {
            ".".into()
        } else {
            path.to_owned()
        }),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                control_fields(item, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                if k.chars().any(is_refused_control) {
                    out.push(at(&k.escape_default().to_string()));
                } else {
                    control_fields(item, &at(k), out);
                }
            }
        }
        _ => {}
    }
}
