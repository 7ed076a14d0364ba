//! Plain-language templates: `{placeholder}`s filled from a feature value
//! (and, for rules, a threshold). Number formatting is Rust's exact decimal
//! formatting after `libm::round`, so the text is the same on every machine.
//!
//! | placeholder           | from `value = 0.944`, `threshold = 0.9` |
//! |-----------------------|------------------------------------------|
//! | `{value}`             | `0.94` (at most 2 decimals)              |
//! | `{percent}`           | `94%`                                    |
//! | `{signed_percent}`    | `+94%`, or `−65%` (U+2212), or `0%`      |
//! | `{count}`             | `1` (rounded to a whole number)          |
//! | `{s}`                 | `s` unless `{count}` is 1                |
//! | `{threshold}`         | `0.9`                                    |
//! | `{threshold_percent}` | `90%`                                    |
//!
//! Anything else in braces is left as written.

/// Rounds to a whole number, never giving −0.
fn whole(v: f64) -> f64 {
    let r = libm::round(v);
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// `v` as a percentage rounded to a whole number, e.g. `94%`.
pub(crate) fn percent(v: f64) -> String {
    format!("{:.0}%", whole(v * 100.0))
}

/// `v` as a signed percentage, e.g. `+20%`, `−65%`, `0%`.
pub(crate) fn signed_percent(v: f64) -> String {
    let p = whole(v * 100.0);
    if p > 0.0 {
        format!("+{p:.0}%")
    } else if p < 0.0 {
        format!("\u{2212}{:.0}%", -p)
    } else {
        "0%".to_owned()
    }
}

/// `v` with at most two decimals and no trailing zeros, e.g. `0.9`, `12`.
pub(crate) fn decimal(v: f64) -> String {
    let s = format!("{:.2}", whole(v * 100.0) / 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// Fills the placeholders of `template` (see the module documentation).
pub(crate) fn render(template: &str, value: f64, threshold: f64) -> String {
    let mut out = String::with_capacity(template.len() + 8);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = &after[..close];
        match name {
            "value" => out.push_str(&decimal(value)),
            "percent" => out.push_str(&percent(value)),
            "signed_percent" => out.push_str(&signed_percent(value)),
            "count" => out.push_str(&format!("{:.0}", whole(value))),
            "s" => out.push_str(if whole(value) == 1.0 { "" } else { "s" }),
            "threshold" => out.push_str(&decimal(threshold)),
            "threshold_percent" => out.push_str(&percent(threshold)),
            _ => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}
