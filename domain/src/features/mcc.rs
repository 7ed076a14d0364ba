//! Merchant category codes (ISO 18245) grouped into a few spending groups, the
//! categories over which the merchant-mix features measure diversity.

use serde::{Deserialize, Serialize};

use crate::values::MerchantCategoryCode;

/// How many merchant groups there are (the entropy is normalised by its log).
pub const GROUP_COUNT: usize = 10;

/// A broad group of merchant categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MerchantGroup {
    /// 5411, 5422, 5441, 5451, 5462, 5499.
    Groceries,
    /// 5812, 5813, 5814.
    Restaurants,
    /// 5541, 5542.
    Fuel,
    /// Airlines and hotels 3000–3999, 4111, 4121, 4131, 4411, 4511, 4722,
    /// 4789, 7011, 7512.
    Travel,
    /// 4814, 4899, 4900.
    Utilities,
    /// 5912, 8011–8099.
    Healthcare,
    /// 5200–5299, 5300–5399, 5600–5699, 5700–5799 (but 5734), 5999.
    Retail,
    /// 4816, 5734, 5815–5818.
    Digital,
    /// Quasi-cash: 4829, 6010, 6011, 6012, 6051, 6540.
    CashLike,
    /// Everything else, and purchases without a category.
    Other,
}

impl MerchantGroup {
    /// Every group, in index order.
    pub const ALL: [MerchantGroup; GROUP_COUNT] = [
        Self::Groceries,
        Self::Restaurants,
        Self::Fuel,
        Self::Travel,
        Self::Utilities,
        Self::Healthcare,
        Self::Retail,
        Self::Digital,
        Self::CashLike,
        Self::Other,
    ];

    /// The group of a merchant category code number.
    pub fn of_number(code: u16) -> Self {
        match code {
            5411 | 5422 | 5441 | 5451 | 5462 | 5499 => Self::Groceries,
            5812..=5814 => Self::Restaurants,
            5541 | 5542 => Self::Fuel,
            4816 | 5734 | 5815..=5818 => Self::Digital,
            4829 | 6010..=6012 | 6051 | 6540 => Self::CashLike,
            3000..=3999 | 4111 | 4121 | 4131 | 4411 | 4511 | 4722 | 4789 | 7011 | 7512 => {
                Self::Travel
            }
            4814 | 4899 | 4900 => Self::Utilities,
            5912 | 8011..=8099 => Self::Healthcare,
            5200..=5399 | 5600..=5799 | 5999 => Self::Retail,
            _ => Self::Other,
        }
    }

    /// The group of a purchase's merchant category (`Other` when it has none).
    pub fn of(code: Option<&MerchantCategoryCode>) -> Self {
        code.map_or(Self::Other, |c| Self::of_number(c.number()))
    }

    /// The group's position in [`MerchantGroup::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_fall_into_the_documented_groups() {
        let cases = [
            (5411, MerchantGroup::Groceries),
            (5499, MerchantGroup::Groceries),
            (5813, MerchantGroup::Restaurants),
            (5542, MerchantGroup::Fuel),
            (3512, MerchantGroup::Travel),
            (4511, MerchantGroup::Travel),
            (7011, MerchantGroup::Travel),
            (4900, MerchantGroup::Utilities),
            (5912, MerchantGroup::Healthcare),
            (8062, MerchantGroup::Healthcare),
            (5311, MerchantGroup::Retail),
            (5651, MerchantGroup::Retail),
            (5732, MerchantGroup::Retail),
            (5734, MerchantGroup::Digital),
            (5816, MerchantGroup::Digital),
            (6011, MerchantGroup::CashLike),
            (4829, MerchantGroup::CashLike),
            (7995, MerchantGroup::Other),
            (0, MerchantGroup::Other),
        ];
        for (code, group) in cases {
            assert_eq!(MerchantGroup::of_number(code), group, "MCC {code}");
        }
        assert_eq!(MerchantGroup::of(None), MerchantGroup::Other);
    }

    #[test]
    fn indices_follow_all() {
        for (i, g) in MerchantGroup::ALL.iter().enumerate() {
            assert_eq!(g.index(), i);
        }
    }
}
