//! Path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent
//! individualized feature attribution for tree ensembles", arXiv:1802.03888,
//! Algorithm 2; follows the reference `tree_shap.h` of the `shap` project).
//!
//! The value of a coalition S is the tree's expectation when the features in S
//! take the customer's values and every split on another feature sends the
//! input down both branches weighted by the training covers
//! (`cover(child) / cover(node)`). The algorithm computes the exact Shapley
//! values of that game in O(leaves · depth²), so that
//! `expected_value() + Σ φ = predict(x)` up to rounding (≈1e-16).
//!
//! The path holds, for each distinct feature split on between the root and the
//! current node, the fraction of "zero" paths (feature unknown: cover
//! weighted) and "one" paths (feature known: 1 on the branch x takes, else 0)
//! flowing through, plus the permutation weights. All paths of one descent
//! live in one buffer; each node appends a copy of its parent's path and
//! truncates it again on return.

use super::artifact::Tree;

#[derive(Clone, Copy, Debug)]
struct PathElement {
    feature: Option<usize>,
    zero: f64,
    one: f64,
    weight: f64,
}

/// Extends `path` by its last element (already pushed, weight 1 if it is the
/// only one, else 0), updating the permutation weights.
fn extend(path: &mut [PathElement]) {
    let d = path.len() - 1;
    let PathElement { zero, one, .. } = path[d];
    let scale = (d + 1) as f64;
    for i in (0..d).rev() {
        path[i + 1].weight += one * path[i].weight * (i + 1) as f64 / scale;
        path[i].weight = zero * path[i].weight * (d - i) as f64 / scale;
    }
}

/// Undoes the extension by element `k`; the caller drops the last element.
fn unwind(path: &mut [PathElement], k: usize) {
    let d = path.len() - 1;
    let PathElement { zero, one, .. } = path[k];
    let scale = (d + 1) as f64;
    let mut next = path[d].weight;
    for i in (0..d).rev() {
        if one != 0.0 {
            let tmp = path[i].weight;
            path[i].weight = next * scale / ((i + 1) as f64 * one);
            next = tmp - path[i].weight * zero * (d - i) as f64 / scale;
        } else {
            path[i].weight = path[i].weight * scale / (zero * (d - i) as f64);
        }
    }
    for i in k..d {
        path[i].feature = path[i + 1].feature;
        path[i].zero = path[i + 1].zero;
        path[i].one = path[i + 1].one;
    }
}

/// Total permutation weight of `path` were element `k` unwound.
fn unwound_sum(path: &[PathElement], k: usize) -> f64 {
    let d = path.len() - 1;
    let PathElement { zero, one, .. } = path[k];
    let mut total = 0.0;
    if one != 0.0 {
        let mut next = path[d].weight;
        for i in (0..d).rev() {
            let tmp = next / ((i + 1) as f64 * one);
            total += tmp;
            next = path[i].weight - tmp * zero * (d - i) as f64;
        }
    } else {
        for i in (0..d).rev() {
            total += path[i].weight / (zero * (d - i) as f64);
        }
    }
    total * (d + 1) as f64
}

struct Walk<'a> {
    tree: &'a Tree,
    x: &'a [f64],
    phi: Vec<f64>,
    path: Vec<PathElement>,
}

impl<'a> Walk<'a> {
    fn recurse(
        &mut self,
        i: usize,
        parent: (usize, usize),
        zero: f64,
        one: f64,
        feature: Option<usize>,
    ) {
        let (parent_start, parent_len) = parent;
        let start = self.path.len();
        self.path
            .extend_from_within(parent_start..parent_start + parent_len);
        let weight = if parent_len == 0 { 1.0 } else { 0.0 };
        self.path.push(PathElement {
            feature,
            zero,
            one,
            weight,
        });
        extend(&mut self.path[start..]);
        let mut len = parent_len + 1;
        let tree: &'a Tree = self.tree;
        let nodes = &tree.nodes;
        if let Some(node) = nodes.get(i) {
            match node.split() {
                None => {
                    let path = &self.path[start..start + len];
                    for (k, el) in path.iter().enumerate().skip(1) {
                        let w = unwound_sum(path, k);
                        if let Some(p) = el.feature.and_then(|f| self.phi.get_mut(f)) {
                            *p += w * (el.one - el.zero) * node.probability;
                        }
                    }
                }
                Some((f, l, r)) if l > i && r > i && l < nodes.len() && r < nodes.len() => {
                    let xv = self.x.get(f).copied().unwrap_or(f64::NAN);
                    let (hot, cold) = if xv < node.threshold { (l, r) } else { (r, l) };
                    let hot_zero = nodes[hot].cover / node.cover;
                    let cold_zero = nodes[cold].cover / node.cover;
                    let (mut in_zero, mut in_one) = (1.0, 1.0);
                    let seen = self.path[start..start + len]
                        .iter()
                        .position(|e| e.feature == Some(f));
                    if let Some(k) = seen {
                        in_zero = self.path[start + k].zero;
                        in_one = self.path[start + k].one;
                        unwind(&mut self.path[start..start + len], k);
                        len -= 1;
                        self.path.truncate(start + len);
                    }
                    self.recurse(hot, (start, len), hot_zero * in_zero, in_one, Some(f));
                    self.recurse(cold, (start, len), cold_zero * in_zero, 0.0, Some(f));
                }
                // Malformed (child not after its parent): contributes nothing.
                Some(_) => {}
            }
        }
        self.path.truncate(start);
    }
}

impl Tree {
    /// Depth of the deepest leaf (0 for a lone root).
    pub fn depth(&self) -> usize {
        let mut depth = vec![0usize; self.nodes.len()];
        let mut max = 0;
        for (i, node) in self.nodes.iter().enumerate() {
            if let Some((_, l, r)) = node.split() {
                for c in [l, r] {
                    if c > i && c < depth.len() {
                        depth[c] = depth[i] + 1;
                        max = max.max(depth[c]);
                    }
                }
            }
        }
        max
    }

    /// The tree's expected value: each internal node averages its children
    /// weighted by `cover(child) / cover(node)` (with consistent covers, the
    /// cover-weighted mean leaf probability). The base of [`Tree::shap`].
    pub fn expected_value(&self) -> f64 {
        self.expected_at(0)
    }

    fn expected_at(&self, i: usize) -> f64 {
        let Some(node) = self.nodes.get(i) else {
            return f64::NAN;
        };
        match node.split() {
            None => node.probability,
            Some((_, l, r)) if l > i && r > i => {
                let (Some(left), Some(right)) = (self.nodes.get(l), self.nodes.get(r)) else {
                    return f64::NAN;
                };
                left.cover / node.cover * self.expected_at(l)
                    + right.cover / node.cover * self.expected_at(r)
            }
            Some(_) => f64::NAN,
        }
    }

    /// Path-dependent TreeSHAP values of input `x` (one per model feature,
    /// `n_features` of them): `expected_value() + Σ φ = predict(x)`.
    pub fn shap(&self, x: &[f64], n_features: usize) -> Vec<f64> {
        let d = self.depth();
        let mut walk = Walk {
            tree: self,
            x,
            phi: vec![0.0; n_features],
            path: Vec::with_capacity((d + 2) * (d + 3) / 2),
        };
        walk.recurse(0, (0, 0), 1.0, 1.0, None);
        walk.phi
    }
}
