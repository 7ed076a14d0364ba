//! Conversion of a fitted linfa decision tree into the artifact's node list,
//! with covers and leaf probabilities from routing the training rows.
//!
//! linfa-trees keeps no class counts, so each node's cover is the number of
//! training rows that reach it when routed the way production scores
//! (left when `x[feature] < threshold`, as linfa predicts; stop at a node
//! marked leaf even if it kept a child), and a leaf's probability of default
//! is `(defaults + 1) / (rows + 2)` (Laplace smoothing). An internal node's
//! probability is its children's cover-weighted mean.
//!
//! linfa splits its training rows with `<=` but predicts with `<`, so a
//! branch may receive no training row at all; such a split is dropped and its
//! non-empty side takes its place (an input that would have gone to the empty
//! side follows the other one, which is how the training rows went). Nodes
//! are emitted depth first, parent before children, left before right.

use domain::features::FEATURE_COUNT;
use domain::risk::{Tree, TreeNode};
use linfa_trees::TreeNode as LinfaNode;

use crate::TrainingError;

/// linfa's node type for our trees (f64 features, 0/1 labels).
type Node = LinfaNode<f64, usize>;

/// Converts the tree rooted at `root`, routing `x` (labels `y`).
pub(crate) fn convert(
    root: &Node,
    x: &[[f64; FEATURE_COUNT]],
    y: &[bool],
) -> Result<Tree, TrainingError> {
    if x.is_empty() {
        return Err(TrainingError::Data("no training rows for the tree".into()));
    }
    let mut nodes = Vec::new();
    let rows: Vec<usize> = (0..x.len()).collect();
    build(root, rows, x, y, &mut nodes)?;
    Ok(Tree { nodes })
}

/// The split of a linfa node, `None` when it is to be treated as a leaf.
fn split_of(node: &Node) -> Option<(usize, f64, &Node, &Node)> {
    if node.is_leaf() {
        return None;
    }
    let (feature, threshold, _) = node.split();
    match node.children().as_slice() {
        [Some(l), Some(r)] => Some((feature, threshold, l.as_ref(), r.as_ref())),
        _ => None,
    }
}

fn build(
    node: &Node,
    rows: Vec<usize>,
    x: &[[f64; FEATURE_COUNT]],
    y: &[bool],
    nodes: &mut Vec<TreeNode>,
) -> Result<usize, TrainingError> {
    let index = nodes.len();
    let Some((feature, threshold, left, right)) = split_of(node) else {
        let defaults = rows.iter().filter(|&&i| y[i]).count();
        nodes.push(TreeNode {
            feature: None,
            threshold: 0.0,
            left: None,
            right: None,
            cover: rows.len() as f64,
            probability: (defaults as f64 + 1.0) / (rows.len() as f64 + 2.0),
        });
        return Ok(index);
    };
    if feature >= FEATURE_COUNT || !threshold.is_finite() {
        return Err(TrainingError::Fit(format!(
            "tree split on feature {feature} at {threshold}"
        )));
    }
    let (l_rows, r_rows): (Vec<usize>, Vec<usize>) =
        rows.iter().partition(|&&i| x[i][feature] < threshold);
    if l_rows.is_empty() {
        return build(right, r_rows, x, y, nodes);
    }
    if r_rows.is_empty() {
        return build(left, l_rows, x, y, nodes);
    }
    // Placeholder so that the children come after their parent.
    nodes.push(TreeNode {
        feature: Some(feature),
        threshold,
        left: None,
        right: None,
        cover: rows.len() as f64,
        probability: 0.0,
    });
    let l = build(left, l_rows, x, y, nodes)?;
    let r = build(right, r_rows, x, y, nodes)?;
    let (lc, rc) = (nodes[l], nodes[r]);
    let parent = &mut nodes[index];
    parent.left = Some(l);
    parent.right = Some(r);
    parent.probability = (lc.cover * lc.probability + rc.cover * rc.probability) / parent.cover;
    Ok(index)
}
