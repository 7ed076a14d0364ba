//! The challenger's fit: gradient-boosted trees on the log-loss with Newton
//! steps, grown on binned features, deterministic bit for bit.
//!
//! Each round computes every row's gradient `p − y` and hessian `p(1 − p)`
//! at the current log-odds, grows one tree depth-first (a node splits where
//! `G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)` is largest, each side keeping at
//! least `min_leaf` rows), and adds `−rate · G/(H+λ)` of the reached leaf to
//! each row's log-odds. Candidate thresholds are the training values at
//! `max_bins` quantiles, so a split `x < t` is one the domain's trees read
//! the same way. With `monotone`, a split on a feature whose direction is
//! known must order its two sides that way, and bounds passed down keep every
//! deeper leaf in order (as XGBoost's monotone constraints do), so each tree,
//! and the forest, moves risk only the known way with such a feature.
//! No sampling: the same rows give the same forest. Covers are
//! training rows, so the domain's TreeSHAP is exact over this forest.

use domain::features::FEATURE_COUNT;
use domain::risk::{Boosted, Tree, TreeNode};

use crate::dataset::Dataset;
use crate::TrainingError;

/// Hyper-parameters of the challenger.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoostConfig {
    /// Trees grown.
    pub trees: usize,
    /// Depth of each tree.
    pub max_depth: usize,
    /// Share of each Newton step taken (shrinkage).
    pub learning_rate: f64,
    /// Minimum training rows on each side of a split.
    pub min_leaf: usize,
    /// L2 penalty λ on leaf values.
    pub lambda: f64,
    /// Candidate thresholds per feature at most.
    pub max_bins: usize,
    /// Hold each feature's known direction (`fit::DIRECTIONS`): the score
    /// never falls as a feature rises whose risk rises with it, and the
    /// reverse.
    pub monotone: bool,
}

impl Default for BoostConfig {
    /// 300 trees of depth 3, rate 0.05, 50 rows a side, λ = 1, 64 bins: a
    /// conventional setting, not tuned on any one data set. Directions are
    /// not held: on the UCI data holding them cost 0.013 of held-out AUC
    /// (0.785 → 0.771; its clients with nothing to pay default more than
    /// those with a little, against utilisation's "known" direction).
    fn default() -> Self {
        BoostConfig {
            trees: 300,
            max_depth: 3,
            learning_rate: 0.05,
            min_leaf: 50,
            lambda: 1.0,
            max_bins: 64,
            monotone: false,
        }
    }
}

/// Sorted candidate thresholds of one feature and each row's bin under them
/// (the number of thresholds at or below its value).
struct Binned {
    thresholds: Vec<f64>,
    bins: Vec<u16>,
}

fn bin_feature(values: &[f64], max_bins: usize) -> Binned {
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut thresholds: Vec<f64> = Vec::new();
    for k in 1..max_bins.max(2) {
        let v = sorted[k * sorted.len() / max_bins.max(2)];
        // A threshold at the smallest value would send nothing left.
        if v > sorted[0] && thresholds.last().is_none_or(|last| v > *last) {
            thresholds.push(v);
        }
    }
    let bins = values
        .iter()
        .map(|v| thresholds.partition_point(|t| t <= v) as u16)
        .collect();
    Binned { thresholds, bins }
}

struct Grower<'a> {
    cfg: &'a BoostConfig,
    binned: &'a [Binned],
    used: &'a [bool],
    grad: &'a [f64],
    hess: &'a [f64],
    /// Per feature: 1 the leaf values may only rise with it, −1 only fall,
    /// 0 free.
    directions: [i8; FEATURE_COUNT],
    nodes: Vec<TreeNode>,
    /// The leaf value each row reached, filled as leaves are made.
    step: Vec<f64>,
}

impl Grower<'_> {
    fn newton(&self, rows: &[usize]) -> (f64, f64) {
        let (mut g, mut h) = (0.0, 0.0);
        for &i in rows {
            g += self.grad[i];
            h += self.hess[i];
        }
        (g, h)
    }

    /// The stored leaf value of sums `g`, `h`, kept within `bounds`.
    fn leaf_value(&self, g: f64, h: f64, bounds: (f64, f64)) -> f64 {
        (-self.cfg.learning_rate * g / (h + self.cfg.lambda)).clamp(bounds.0, bounds.1)
    }

    /// The best split of `rows`: (feature, bin k: left when bin ≤ k, gain,
    /// left and right values). A split on a feature with a known direction
    /// must order its two values that way.
    fn best_split(
        &self,
        rows: &[usize],
        g: f64,
        h: f64,
        bounds: (f64, f64),
    ) -> Option<(usize, usize, f64, f64, f64)> {
        let lambda = self.cfg.lambda;
        let parent = g * g / (h + lambda);
        let mut best: Option<(usize, usize, f64, f64, f64)> = None;
        for (f, binned) in self.binned.iter().enumerate() {
            if !self.used[f] || binned.thresholds.is_empty() {
                continue;
            }
            let b = binned.thresholds.len() + 1;
            let mut hist = vec![(0.0f64, 0.0f64, 0usize); b];
            for &i in rows {
                let slot = &mut hist[usize::from(binned.bins[i])];
                slot.0 += self.grad[i];
                slot.1 += self.hess[i];
                slot.2 += 1;
            }
            let (mut gl, mut hl, mut nl) = (0.0, 0.0, 0usize);
            for (k, (bg, bh, bn)) in hist.iter().enumerate().take(b - 1) {
                gl += bg;
                hl += bh;
                nl += bn;
                let nr = rows.len() - nl;
                if nl < self.cfg.min_leaf || nr < self.cfg.min_leaf {
                    continue;
                }
                let (gr, hr) = (g - gl, h - hl);
                let (wl, wr) = (
                    self.leaf_value(gl, hl, bounds),
                    self.leaf_value(gr, hr, bounds),
                );
                if f64::from(self.directions[f]) * (wr - wl) < 0.0 {
                    continue;
                }
                let gain = gl * gl / (hl + lambda) + gr * gr / (hr + lambda) - parent;
                if gain > 1e-12 && best.is_none_or(|(_, _, b, _, _)| gain > b) {
                    best = Some((f, k, gain, wl, wr));
                }
            }
        }
        best
    }

    /// Grows the subtree of `rows` at `depth`, its values within `bounds`;
    /// returns its node index.
    fn grow(&mut self, rows: Vec<usize>, depth: usize, bounds: (f64, f64)) -> usize {
        let (g, h) = self.newton(&rows);
        let value = self.leaf_value(g, h, bounds);
        let index = self.nodes.len();
        self.nodes.push(TreeNode {
            feature: None,
            threshold: 0.0,
            left: None,
            right: None,
            cover: rows.len() as f64,
            probability: value,
        });
        let split = if depth < self.cfg.max_depth {
            self.best_split(&rows, g, h, bounds)
        } else {
            None
        };
        match split {
            None => {
                for &i in &rows {
                    self.step[i] = value;
                }
            }
            Some((f, k, _, wl, wr)) => {
                let binned = &self.binned[f];
                let (left, right): (Vec<usize>, Vec<usize>) = rows
                    .iter()
                    .partition(|&&i| usize::from(binned.bins[i]) <= k);
                let threshold = binned.thresholds[k];
                // Below a split on a directed feature every value on the
                // left stays on its side of the midpoint, so deeper splits
                // cannot undo the order.
                let mid = (wl + wr) / 2.0;
                let (lb, rb) = match self.directions[f] {
                    1 => ((bounds.0, mid), (mid, bounds.1)),
                    -1 => ((mid, bounds.1), (bounds.0, mid)),
                    _ => (bounds, bounds),
                };
                let l = self.grow(left, depth + 1, lb);
                let r = self.grow(right, depth + 1, rb);
                let node = &mut self.nodes[index];
                node.feature = Some(f);
                node.threshold = threshold;
                node.left = Some(l);
                node.right = Some(r);
            }
        }
        index
    }
}

/// Fits the boosted forest on `train`, never splitting on a feature marked
/// in `excluded` (in `FEATURE_NAMES` order, as the artifact's features are).
pub fn fit_boosted(
    train: &Dataset,
    cfg: &BoostConfig,
    excluded: &[bool],
) -> Result<Boosted, TrainingError> {
    let n = train.len();
    let positives = train.y.iter().filter(|&&y| y).count();
    if n == 0 || positives == 0 || positives == n {
        return Err(TrainingError::Data(
            "the challenger needs rows of both labels".into(),
        ));
    }
    let binned: Vec<Binned> = (0..FEATURE_COUNT)
        .map(|j| {
            let column: Vec<f64> = train.x.iter().map(|r| r[j]).collect();
            bin_feature(&column, cfg.max_bins)
        })
        .collect();
    let used: Vec<bool> = (0..FEATURE_COUNT)
        .map(|j| !excluded.get(j).copied().unwrap_or(false))
        .collect();
    let directions = if cfg.monotone {
        crate::fit::DIRECTIONS
    } else {
        [0; FEATURE_COUNT]
    };
    let rate = positives as f64 / n as f64;
    let base_log_odds = (rate / (1.0 - rate)).ln();
    let y: Vec<f64> = train.y.iter().map(|&d| f64::from(u8::from(d))).collect();
    let mut log_odds = vec![base_log_odds; n];
    let mut trees = Vec::with_capacity(cfg.trees);
    for _ in 0..cfg.trees {
        let p: Vec<f64> = log_odds.iter().map(|&z| domain::risk::sigmoid(z)).collect();
        let grad: Vec<f64> = p.iter().zip(&y).map(|(p, y)| p - y).collect();
        let hess: Vec<f64> = p.iter().map(|p| (p * (1.0 - p)).max(1e-12)).collect();
        let mut grower = Grower {
            cfg,
            binned: &binned,
            used: &used,
            grad: &grad,
            hess: &hess,
            directions,
            nodes: Vec::new(),
            step: vec![0.0; n],
        };
        grower.grow((0..n).collect(), 0, (f64::NEG_INFINITY, f64::INFINITY));
        for (z, s) in log_odds.iter_mut().zip(&grower.step) {
            *z += s;
        }
        trees.push(Tree {
            nodes: grower.nodes,
        });
    }
    Ok(Boosted {
        base_log_odds,
        trees,
    })
}
