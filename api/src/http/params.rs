//! Query parameters, checked one by one: an unknown parameter or a bad value
//! is a 400 problem naming the parameter, never a silent default.

use std::collections::HashMap;
use std::str::FromStr;

use axum::http::StatusCode;

use super::problem::{FieldError, Problem};

/// 400 naming one query parameter.
pub fn bad_param(name: &str, message: impl Into<String>) -> Problem {
    let message = message.into();
    Problem {
        errors: vec![FieldError {
            field: name.to_owned(),
            message: message.clone(),
        }],
        ..Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-parameter",
            "Bad query parameter",
            format!("{name}: {message}"),
        )
    }
}

/// The query string of one request.
pub struct Params {
    values: HashMap<String, String>,
}

impl Params {
    /// Checks that only `allowed` parameters are present.
    pub fn new(values: HashMap<String, String>, allowed: &[&str]) -> Result<Self, Problem> {
        if let Some(unknown) = values.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(bad_param(
                unknown,
                format!("unknown parameter; allowed: {}", allowed.join(", ")),
            ));
        }
        Ok(Self { values })
    }

    /// A raw value.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A parsed value, if present.
    pub fn parse<T: FromStr>(&self, name: &str, what: &str) -> Result<Option<T>, Problem> {
        self.text(name)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|_| bad_param(name, format!("must be {what}")))
            })
            .transpose()
    }

    /// A page size in `1..=max`, `default` when absent.
    pub fn limit(&self, default: i64, max: i64) -> Result<i64, Problem> {
        let n = self.parse::<i64>("limit", "an integer")?.unwrap_or(default);
        if !(1..=max).contains(&n) {
            return Err(bad_param("limit", format!("must be between 1 and {max}")));
        }
        Ok(n)
    }

    /// A number within `[lo, hi]`.
    pub fn number_in(&self, name: &str, lo: f64, hi: f64) -> Result<Option<f64>, Problem> {
        match self.parse::<f64>(name, "a number")? {
            Some(v) if v.is_finite() && (lo..=hi).contains(&v) => Ok(Some(v)),
            Some(_) => Err(bad_param(name, format!("must be between {lo} and {hi}"))),
            None => Ok(None),
        }
    }

    /// One of `choices`.
    pub fn choice(&self, name: &str, choices: &[&str]) -> Result<Option<String>, Problem> {
        match self.text(name) {
            Some(v) if choices.contains(&v) => Ok(Some(v.to_owned())),
            Some(_) => Err(bad_param(
                name,
                format!("must be one of {}", choices.join(", ")),
            )),
            None => Ok(None),
        }
    }
}
