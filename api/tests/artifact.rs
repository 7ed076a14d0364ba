//! The model artifact shipped in `artifacts/` is valid, so `serve` can score
//! from the first transaction.

#[test]
fn the_shipped_model_artifact_parses_and_validates() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../artifacts/model.json");
    let text = std::fs::read_to_string(path).expect("artifacts/model.json is shipped");
    let model = domain::risk::ModelArtifact::parse(&text).expect("valid artifact");
    // Its inputs are features the system computes, in their usual order (a
    // model may leave out features newer than itself).
    let known: Vec<&str> = domain::features::FEATURE_NAMES
        .iter()
        .copied()
        .filter(|n| model.features.iter().any(|f| f == n))
        .collect();
    assert_eq!(model.features, known);
    assert!(model.features.len() >= 14, "{:?}", model.features);
    assert_eq!(model.version().len(), 64);
}

#[test]
fn the_uci_model_artifact_parses_and_validates() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../artifacts/uci/model.json");
    let text = std::fs::read_to_string(path).expect("artifacts/uci/model.json is shipped");
    let model = domain::risk::ModelArtifact::parse(&text).expect("valid artifact");
    assert!(
        model.training.data.contains("UCI"),
        "{}",
        model.training.data
    );
}

/// Which features `model` reads: a non-zero logistic weight or a split of
/// the tree or of a boosted tree on it.
fn read_by(model: &domain::risk::ModelArtifact) -> Vec<&str> {
    let mut trees = vec![&model.tree];
    if let Some(b) = &model.boosted {
        trees.extend(b.trees.iter());
    }
    model
        .features
        .iter()
        .enumerate()
        .filter(|(k, _)| {
            model.logistic.coefficients[*k] != 0.0
                || trees
                    .iter()
                    .any(|t| t.nodes.iter().any(|n| n.split().is_some_and(|s| s.0 == *k)))
        })
        .map(|(_, f)| f.as_str())
        .collect()
}

#[test]
fn the_shipped_model_reads_no_feature_whose_level_a_bank_sets() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../artifacts/model.json");
    let text = std::fs::read_to_string(path).expect("artifacts/model.json is shipped");
    let model = domain::risk::ModelArtifact::parse(&text).expect("valid artifact");
    let read = read_by(&model);
    for f in training::feed::FEED_DEPENDENT {
        assert!(!read.contains(f), "the shipped model reads {f}: {read:?}");
    }
    // It still reads behaviour: balance, cash, spend, payments.
    for f in ["utilisation", "cash_withdrawal_share", "payment_ratio"] {
        assert!(read.contains(&f), "{f} not read: {read:?}");
    }
}
