//! Field-by-field comparison of a recorded decision with its replay.
//!
//! Both sides are serialised to JSON trees with the same types and walked
//! together, so every field the decision carries is compared — including
//! fields added to it later — and each difference is named by its path
//! (`features.utilisation`, `explanation.contributions[3].tree`).
//!
//! Numbers are compared **bit for bit** (`f64::to_bits`), never with a
//! tolerance: the risk engine promises the same bits for the same evidence.
//! One normalisation, and only one: PostgreSQL stores JSON numbers as
//! `numeric`, which has no negative zero, so a `-0.0` the engine computed
//! (e.g. a negative coefficient times a feature at its background mean)
//! comes back as `0.0` — already on its way through the decision outbox,
//! before the event is written. Both zeros are therefore compared as `+0.0`;
//! every other value must match exactly.

use serde::Serialize;
use serde_json::{Number, Value};

/// One field whose replayed value differs from the recorded one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldDiff {
    /// Path of the field in the decision (`features.utilisation`).
    pub field: String,
    /// The value recorded in the log.
    pub recorded: String,
    /// The value the replay produced.
    pub replayed: String,
}

impl FieldDiff {
    /// A difference with free-text sides (e.g. "absent").
    pub fn new(field: impl Into<String>, recorded: impl ToString, replayed: impl ToString) -> Self {
        Self {
            field: field.into(),
            recorded: recorded.to_string(),
            replayed: replayed.to_string(),
        }
    }
}

impl std::fmt::Display for FieldDiff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: recorded {}, replayed {}",
            self.field, self.recorded, self.replayed
        )
    }
}

/// The bits a stored `f64` can have: `-0.0` becomes `+0.0` (see the module
/// docs), everything else is unchanged.
pub fn stored_bits(x: f64) -> u64 {
    if x == 0.0 {
        0
    } else {
        x.to_bits()
    }
}

/// Compares `recorded` with `replayed` (both serialised from the same type)
/// and appends a [`FieldDiff`] per differing leaf to `out`.
pub fn diff_json(path: &str, recorded: &Value, replayed: &Value, out: &mut Vec<FieldDiff>) {
    match (recorded, replayed) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = join(path, k);
                match b.get(k) {
                    Some(vb) => diff_json(&p, va, vb, out),
                    None => out.push(FieldDiff::new(p, render(va), "absent")),
                }
            }
            for (k, vb) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                out.push(FieldDiff::new(join(path, k), "absent", render(vb)));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                out.push(FieldDiff::new(
                    path,
                    format!("{} entries {}", a.len(), render(recorded)),
                    format!("{} entries {}", b.len(), render(replayed)),
                ));
                return;
            }
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                diff_json(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            if !same_number(a, b) {
                out.push(FieldDiff::new(path, number(a), number(b)));
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(FieldDiff::new(path, render(a), render(b))),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Integers exactly; anything else by its `f64` bits.
fn same_number(a: &Number, b: &Number) -> bool {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x == y;
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => stored_bits(x) == stored_bits(y),
        _ => false,
    }
}

/// A number with its bits, so two values that print alike still differ
/// visibly.
fn number(n: &Number) -> String {
    match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (None, None, Some(x)) => format!("{x:?} (bits {:#018x})", x.to_bits()),
        _ => n.to_string(),
    }
}

fn render(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 {
        let cut: String = s.chars().take(200).collect();
        format!("{cut}…")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn diffs(a: Value, b: Value) -> Vec<FieldDiff> {
        let mut out = Vec::new();
        diff_json("", &a, &b, &mut out);
        out
    }

    #[test]
    fn one_ulp_is_a_difference() {
        let x = 0.3_f64;
        let y = f64::from_bits(x.to_bits() + 1);
        let d = diffs(json!({"s": {"e": x}}), json!({"s": {"e": y}}));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field, "s.e");
        assert_ne!(d[0].recorded, d[0].replayed);
    }

    #[test]
    fn negative_zero_is_stored_as_zero() {
        assert!(diffs(json!({"a": 0.0}), json!({"a": -0.0})).is_empty());
        assert_eq!(diffs(json!({"a": 0.0}), json!({"a": 1e-300})).len(), 1);
    }

    #[test]
    fn paths_name_list_entries_and_missing_fields() {
        let d = diffs(
            json!({"r": [{"id": "a"}, {"id": "b"}], "x": 1}),
            json!({"r": [{"id": "a"}, {"id": "c"}], "y": 1}),
        );
        let fields: Vec<&str> = d.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["r[1].id", "x", "y"]);
        let d = diffs(json!({"r": [1]}), json!({"r": [1, 2]}));
        assert_eq!(d[0].field, "r");
    }
}
