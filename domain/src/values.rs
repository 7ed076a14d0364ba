//! Validated value objects. Each has a `parse` constructor that names what is
//! wrong, and deserialises through it, so a command read from JSON or NDJSON is
//! valid by construction and a bad field is reported with its path.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Largest amount accepted in minor units (10 billion in major units): anything
/// above is a data error, not a card transaction.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000;

macro_rules! string_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// The form of the bank's ids (see [`is_identifier`]).
const IDENTIFIER_PATTERN: &str = r"^[A-Za-z0-9_.:\-]{1,64}$";

/// A name: something that is not white space, and no control characters.
const NAME_PATTERN: &str = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$";

fn is_identifier(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

string_value!(
    /// The bank's identifier for a card customer: 1–64 characters of
    /// letters, digits, `-`, `_`, `.` or `:`.
    CustomerId
);

impl CustomerId {
    /// What [`CustomerId::parse`] accepts, as a regular expression (for the
    /// API description; a property test keeps the two equal).
    pub const PATTERN: &'static str = IDENTIFIER_PATTERN;

    /// Validates a customer id.
    pub fn parse(s: &str) -> Result<Self, String> {
        if is_identifier(s, 64) {
            Ok(Self(s.to_owned()))
        } else {
            Err("must be 1-64 characters of letters, digits, '-', '_', '.' or ':'".into())
        }
    }
}

string_value!(
    /// An id the bank gives a transaction, payment or alert: 1–64 characters
    /// of letters, digits, `-`, `_`, `.` or `:`.
    ExternalId
);

impl ExternalId {
    /// What [`ExternalId::parse`] accepts, as a regular expression.
    pub const PATTERN: &'static str = IDENTIFIER_PATTERN;

    /// Validates an external id.
    pub fn parse(s: &str) -> Result<Self, String> {
        if is_identifier(s, 64) {
            Ok(Self(s.to_owned()))
        } else {
            Err("must be 1-64 characters of letters, digits, '-', '_', '.' or ':'".into())
        }
    }
}

string_value!(
    /// A mobile number in E.164 form: `+`, a country code that does not start
    /// with 0, 8 to 15 digits in all.
    PhoneNumber
);

impl PhoneNumber {
    /// What [`PhoneNumber::parse`] accepts, as a regular expression.
    pub const PATTERN: &'static str = r"^\+[1-9][0-9]{7,14}$";

    /// Validates an E.164 number.
    pub fn parse(s: &str) -> Result<Self, String> {
        let digits = s.strip_prefix('+').unwrap_or("");
        let ok = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err("must be an E.164 number such as +919800000001".into())
        }
    }
}

string_value!(
    /// An ISO 4217 alphabetic currency code (three capital letters).
    Currency
);

impl Currency {
    /// What [`Currency::parse`] accepts, as a regular expression.
    pub const PATTERN: &'static str = "^[A-Z]{3}$";

    /// Validates a currency code's form.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(s.to_owned()))
        } else {
            Err("must be an ISO 4217 code such as INR or EUR".into())
        }
    }
}

string_value!(
    /// A customer's name as the bank holds it: 1–200 characters, no control
    /// characters.
    CustomerName
);

impl CustomerName {
    /// Most characters a name may have (after trimming).
    pub const MAX_CHARS: usize = 200;

    /// Names [`CustomerName::parse`] accepts, as a regular expression: at
    /// least one character that is not white space, and no control
    /// characters. (It also trims, so a longer text padded with spaces is
    /// accepted too; [`Self::MAX_CHARS`] bounds the length.)
    pub const PATTERN: &'static str = NAME_PATTERN;

    /// Validates a name.
    pub fn parse(s: &str) -> Result<Self, String> {
        let trimmed = s.trim();
        if trimmed.is_empty() || trimmed.chars().count() > Self::MAX_CHARS {
            return Err("must be 1-200 characters".into());
        }
        // Checked before trimming too: a tab or line break around a name is
        // a data error like one inside it.
        if s.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(trimmed.to_owned()))
    }
}

string_value!(
    /// A merchant's name on a transaction: up to 200 characters, no control
    /// characters (may be empty for cash withdrawals and fees).
    MerchantName
);

impl MerchantName {
    /// Most characters a merchant name may have.
    pub const MAX_CHARS: usize = 200;

    /// What [`MerchantName::parse`] accepts, as a regular expression (any
    /// text without control characters; [`Self::MAX_CHARS`] bounds it).
    pub const PATTERN: &'static str = r"^[^\x00-\x1F\x7F-\x9F]*$";

    /// Validates a merchant name.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.chars().count() > Self::MAX_CHARS {
            return Err("must be at most 200 characters".into());
        }
        if s.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(s.trim().to_owned()))
    }
}

string_value!(
    /// An ISO 18245 merchant category code: four digits.
    MerchantCategoryCode
);

impl MerchantCategoryCode {
    /// What [`MerchantCategoryCode::parse`] accepts, as a regular expression.
    pub const PATTERN: &'static str = "^[0-9]{4}$";

    /// Validates a merchant category code.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err("must be a four-digit merchant category code such as 5411".into())
        }
    }

    /// The code as a number.
    pub fn number(&self) -> u16 {
        self.0.parse().unwrap_or(0)
    }
}

string_value!(
    /// A statement period as `YYYY-MM`.
    StatementPeriod
);

impl StatementPeriod {
    /// What [`StatementPeriod::parse`] accepts, as a regular expression
    /// (years 1900 to 2999).
    pub const PATTERN: &'static str = "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$";

    /// Validates a statement period.
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = s.len() == 7
            && s.as_bytes()[4] == b'-'
            && s[..4].bytes().all(|b| b.is_ascii_digit())
            && s[5..].bytes().all(|b| b.is_ascii_digit())
            && matches!(s[5..].parse::<u32>(), Ok(1..=12))
            && matches!(s[..4].parse::<u32>(), Ok(1900..=2999));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err("must be a month as YYYY-MM".into())
        }
    }

    /// The first day of the month after the period (when it has closed).
    pub fn end_exclusive(&self) -> chrono::NaiveDate {
        let year: i32 = self.0[..4].parse().unwrap_or(1970);
        let month: u32 = self.0[5..].parse().unwrap_or(1);
        let (y, m) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default()
    }
}

/// Declares an amount newtype over `i64` minor units whose only way in is a
/// validating `parse` (also used when deserialising).
macro_rules! amount_value {
    ($(#[$doc:meta])* $name:ident, |$v:ident| $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "i64", into = "i64")]
        pub struct $name(i64);

        impl $name {
            /// Validates an amount in minor units.
            pub fn parse($v: i64) -> Result<Self, String> {
                $check.map(|()| Self($v))
            }

            /// The amount in minor units.
            pub fn minor(self) -> i64 {
                self.0
            }
        }

        impl TryFrom<i64> for $name {
            type Error = String;
            fn try_from(v: i64) -> Result<Self, String> {
                Self::parse(v)
            }
        }

        impl From<$name> for i64 {
            fn from(v: $name) -> i64 {
                v.0
            }
        }
    };
}

fn at_most_max(v: i64) -> Result<(), String> {
    if v.unsigned_abs() > MAX_AMOUNT_MINOR.unsigned_abs() {
        Err(format!("must be within ±{MAX_AMOUNT_MINOR} minor units"))
    } else {
        Ok(())
    }
}

amount_value!(
    /// An amount of money in the account's minor units (paise, cents), strictly
    /// positive and at most [`MAX_AMOUNT_MINOR`].
    PositiveAmount,
    |v| if v <= 0 { Err("must be greater than zero (minor units)".to_owned()) } else { at_most_max(v) }
);

amount_value!(
    /// An amount in minor units that may be zero (a credit limit, a minimum due).
    NonNegativeAmount,
    |v| if v < 0 { Err("must not be negative (minor units)".to_owned()) } else { at_most_max(v) }
);

amount_value!(
    /// A balance in minor units: negative when the customer is in credit.
    Balance,
    |v| at_most_max(v)
);

/// What a card transaction did to the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    /// A card purchase at a merchant.
    Purchase,
    /// Cash taken on the card (ATM or counter): a classic stress signal.
    CashWithdrawal,
    /// Money a merchant gave back; lowers the balance.
    Refund,
    /// A fee or charge the bank posted.
    Fee,
}

impl TransactionKind {
    /// Whether the transaction raises the balance.
    pub fn is_debit(self) -> bool {
        !matches!(self, Self::Refund)
    }
}

/// Where a transaction was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Card present at a terminal.
    Pos,
    /// Card not present (e-commerce).
    Online,
    /// Cash machine.
    Atm,
    /// Contactless tap or wallet.
    Contactless,
    /// Posted by the bank itself (fees, interest).
    Bank,
}

#[cfg(test)]
mod tests;
