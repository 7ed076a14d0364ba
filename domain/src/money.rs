//! Amounts written for people: minor units shown in the currency's own
//! units with its number of decimals (ISO 4217), thousands grouped, e.g.
//! 1500000 INR → "INR 15,000.00", 1500 JPY → "JPY 1,500".

/// Decimals of a currency's minor unit (ISO 4217); 2 unless listed.
pub fn minor_digits(code: &str) -> u32 {
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

/// `minor` units of `code` as "CODE 12,345.67".
pub fn format_money(minor: i64, code: &str) -> String {
    format!("{code} {}", format_units(minor, minor_digits(code)))
}

/// `minor` units with `digits` decimals, thousands grouped ("-1,234.50").
pub fn format_units(minor: i64, digits: u32) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let scale = 10_u64.pow(digits);
    let (whole, frac) = (abs / scale, abs % scale);
    let mut grouped = String::new();
    let text = whole.to_string();
    for (i, ch) in text.chars().enumerate() {
        if i > 0 && (text.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    if digits == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac:0width$}", width = digits as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_in_currency_units_with_the_right_decimals() {
        assert_eq!(format_money(1_500_000, "INR"), "INR 15,000.00");
        assert_eq!(format_money(5, "INR"), "INR 0.05");
        assert_eq!(format_money(-123_456_789, "USD"), "USD -1,234,567.89");
        assert_eq!(format_money(1_500, "JPY"), "JPY 1,500");
        assert_eq!(format_money(1_234_567, "KWD"), "KWD 1,234.567");
        assert_eq!(format_money(0, "EUR"), "EUR 0.00");
        assert_eq!(
            format_money(i64::MIN, "INR"),
            "INR -92,233,720,368,547,758.08"
        );
    }
}
