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
