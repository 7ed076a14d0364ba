//! Feature matrices with labels, built from event histories with the
//! production feature code, and deterministic splits by customer id.

use domain::features::{features_from_history, FEATURE_COUNT};

use crate::uci::{client_events, customer_id, UciClient};
use crate::TrainingError;

/// Rows of features (in `FEATURE_NAMES` order), labels (true = defaulted)
/// and the customer id of each row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    /// Feature rows, in `domain::features::FEATURE_NAMES` order.
    pub x: Vec<[f64; FEATURE_COUNT]>,
    /// Labels: true when the customer defaulted.
    pub y: Vec<bool>,
    /// Customer id of each row.
    pub ids: Vec<String>,
}

impl Dataset {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Share of rows labelled true (0 when empty).
    pub fn positive_rate(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.y.iter().filter(|&&y| y).count() as f64 / self.len() as f64
        }
    }

    /// Appends one row.
    pub fn push(&mut self, x: [f64; FEATURE_COUNT], y: bool, id: String) {
        self.x.push(x);
        self.y.push(y);
        self.ids.push(id);
    }

    /// The rows at `indices`, in that order.
    pub fn select(&self, indices: impl IntoIterator<Item = usize>) -> Dataset {
        let mut out = Dataset::default();
        for i in indices {
            out.push(self.x[i], self.y[i], self.ids[i].clone());
        }
        out
    }

    /// Splits into (train, test): a row goes to test when the hash of its id
    /// and `seed` falls in the lowest `test_fraction` of the hash range. The
    /// same id always lands on the same side for a given seed, whatever the
    /// row order or the other rows.
    pub fn split(&self, test_fraction: f64, seed: u64) -> (Dataset, Dataset) {
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for (i, id) in self.ids.iter().enumerate() {
            if unit_hash(id, seed) < test_fraction {
                test.push(i);
            } else {
                train.push(i);
            }
        }
        (self.select(train), self.select(test))
    }

    /// A deterministic subsample of about `fraction` of the rows (by id
    /// hash, independent of [`Dataset::split`] for the same seed).
    pub fn subsample(&self, fraction: f64, seed: u64) -> Dataset {
        let salt = seed ^ 0x5ab5_a3b1_e5ee_d000;
        let keep = (0..self.len()).filter(|&i| unit_hash(&self.ids[i], salt) < fraction);
        self.select(keep)
    }
}

/// FNV-1a (64 bit) of `seed`'s little-endian bytes followed by `text`.
pub fn fnv1a(text: &str, seed: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.to_le_bytes().iter().chain(text.as_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // A final avalanche (splitmix64's) so that ids differing in their last
    // character spread over the whole range.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The hash of `text` mapped to [0, 1).
pub fn unit_hash(text: &str, seed: u64) -> f64 {
    (fnv1a(text, seed) >> 11) as f64 / (1u64 << 53) as f64
}

/// The features of every client as of the end of the data (see
/// [`crate::uci`]), labelled with the default flag.
pub fn uci_dataset(clients: &[UciClient]) -> Result<Dataset, TrainingError> {
    let mut data = Dataset::default();
    for c in clients {
        let (events, as_of) = client_events(c)?;
        let features = features_from_history(&events, as_of);
        data.push(features.to_vec(), c.default, customer_id(c));
    }
    Ok(data)
}
