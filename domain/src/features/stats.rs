//! Small numeric helpers shared by the feature families, written so that no
//! input can produce NaN or infinity and every result is bit-reproducible.

/// `x` clamped to `[lo, hi]`; NaN gives `lo`, and −0 gives +0 (so that a
/// serialised feature never reads `-0.0`).
pub(super) fn bounded(x: f64, lo: f64, hi: f64) -> f64 {
    if x.is_nan() {
        lo + 0.0
    } else {
        x.clamp(lo, hi) + 0.0
    }
}

/// Coefficient of variation (population standard deviation ÷ mean) of
/// `values`, clamped to `[0, 5]`; 0 with fewer than 2 values or a mean ≤ 0.
pub(super) fn coefficient_of_variation(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if mean.is_nan() || mean <= 0.0 {
        return 0.0;
    }
    let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    bounded(libm::sqrt(variance) / mean, 0.0, 5.0)
}

/// Shannon entropy of the shares of `amounts` (non-positive amounts are
/// ignored) divided by ln(`amounts.len()`), in `[0, 1]`; 0 when the total is 0.
pub(super) fn normalised_entropy(amounts: &[i128]) -> f64 {
    let total: i128 = amounts.iter().filter(|a| **a > 0).sum();
    if total <= 0 || amounts.len() < 2 {
        return 0.0;
    }
    let total = total as f64;
    let entropy: f64 = amounts
        .iter()
        .filter(|a| **a > 0)
        .map(|a| {
            let p = *a as f64 / total;
            -p * libm::log(p)
        })
        .sum();
    bounded(entropy / libm::log(amounts.len() as f64), 0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_clamps_and_absorbs_nan() {
        assert_eq!(bounded(f64::NAN, 0.0, 1.0), 0.0);
        assert_eq!(bounded(f64::INFINITY, 0.0, 1.5), 1.5);
        assert_eq!(bounded(-2.0, -1.0, 5.0), -1.0);
        assert_eq!(bounded(0.25, 0.0, 1.0), 0.25);
        assert!(bounded(-0.0, 0.0, 1.0).is_sign_positive());
    }

    #[test]
    fn coefficient_of_variation_by_hand() {
        // mean 2, deviations -1, +1: population std 1, cv 0.5.
        assert_eq!(coefficient_of_variation(&[1.0, 3.0]), 0.5);
        assert_eq!(coefficient_of_variation(&[4.0]), 0.0);
        assert_eq!(coefficient_of_variation(&[0.0, 0.0]), 0.0);
        // mean 1/6, std sqrt(5)/6: cv sqrt(5) ≈ 2.236.
        let cv = coefficient_of_variation(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert!((cv - 5f64.sqrt()).abs() < 1e-12, "{cv}");
    }

    #[test]
    fn entropy_is_one_when_even_and_zero_when_concentrated() {
        let even = [7_i128; 10];
        assert!((normalised_entropy(&even) - 1.0).abs() < 1e-12);
        let mut one = [0_i128; 10];
        one[3] = 500;
        assert_eq!(normalised_entropy(&one), 0.0);
        // Two equal groups out of ten: ln 2 / ln 10.
        let mut two = [0_i128; 10];
        two[0] = 100;
        two[9] = 100;
        let expected = 2f64.ln() / 10f64.ln();
        assert!((normalised_entropy(&two) - expected).abs() < 1e-12);
    }
}
