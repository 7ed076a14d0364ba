//! The model commands of the CLI: `simulate` a portfolio, `train` the
//! model and its alert policy on one, and `evaluate` a model as deployed
//! (on a command log) or on data in the UCI layout.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// `early-risk simulate`.
#[allow(clippy::too_many_arguments)]
pub fn simulate(
    customers: usize,
    months: u32,
    seed: u64,
    profile: training::simulate::Profile,
    stressed_share: f64,
    first_index: usize,
    out: PathBuf,
    truth: PathBuf,
) -> anyhow::Result<ExitCode> {
    let cfg = training::simulate::SimConfig {
        customers,
        months,
        seed,
        profile,
        stressed_share,
        first_index,
        ..Default::default()
    };
    let file =
        std::fs::File::create(&out).with_context(|| format!("creating {}", out.display()))?;
    let truths = training::simulate::write_ndjson(&cfg, std::io::BufWriter::new(file))?;
    let tf =
        std::fs::File::create(&truth).with_context(|| format!("creating {}", truth.display()))?;
    training::simulate::write_truth_csv(&truths, std::io::BufWriter::new(tf))?;
    let delinquent = truths
        .iter()
        .filter(|t| t.first_delinquent.is_some())
        .count();
    println!(
        "{customers} customers x {months} months written to {} ({delinquent} become delinquent); truth in {}",
        out.display(),
        truth.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `early-risk train`.
pub fn train(
    input: PathBuf,
    out: PathBuf,
    seed: u64,
    step_days: i64,
    trained_at: Option<String>,
    false_alarm_budget: f64,
) -> anyhow::Result<ExitCode> {
    let trained_at = trained_at.unwrap_or_else(|| chrono::Utc::now().to_rfc3339());
    let cfg = training::FitConfig {
        seed,
        ..training::FitConfig::default()
    };
    let started = std::time::Instant::now();
    let t = training::log_training::train_from_log(
        &input,
        &cfg,
        step_days.max(1),
        &trained_at,
        false_alarm_budget,
    )?;
    let secs = started.elapsed().as_secs_f64();
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    std::fs::write(
        out.join("model.json"),
        serde_json::to_string_pretty(&t.artifact)?,
    )?;
    std::fs::write(
        out.join("model-card.md"),
        training::log_training::model_card(&t),
    )?;
    for (name, svg) in &t.plots {
        std::fs::write(out.join(name), svg)?;
    }
    println!(
        "model {} written to {} in {secs:.1} s",
        t.artifact.version(),
        out.display()
    );
    println!("{}", training::log_training::evaluation_table(&t.test));
    Ok(ExitCode::SUCCESS)
}

/// `early-risk evaluate`.
pub fn evaluate(
    input: PathBuf,
    model: Option<PathBuf>,
    step_days: i64,
    json: bool,
    format: String,
    held_out_seed: Option<u64>,
) -> anyhow::Result<ExitCode> {
    let artifact = crate::model::ModelArgs { path: model }.artifact()?;
    if format == "uci" {
        let file =
            std::fs::File::open(&input).with_context(|| format!("opening {}", input.display()))?;
        let clients = training::read_uci(std::io::BufReader::new(file))?;
        let mut observations = training::uci_log::uci_observations(&clients)?;
        if let Some(seed) = held_out_seed {
            observations.retain(|o| {
                training::dataset::unit_hash(&o.customer_id, seed) < training::TEST_FRACTION
            });
        }
        let e = training::warning::evaluate_observations(&artifact, &observations);
        if json {
            println!("{}", serde_json::to_string_pretty(&e)?);
        } else {
            println!(
                "model {} on {}: {} clients (one observation each)",
                artifact.version(),
                input.display(),
                e.observations
            );
            for (name, f) in &e.scorers {
                println!(
                    "  {name:<15} AUC {:.3}  KS {:.3}  Brier {:.3}",
                    f.auc, f.ks, f.brier
                );
            }
        }
    } else {
        let e = training::log_training::evaluate_log(
            &input,
            &artifact,
            step_days.max(1),
            held_out_seed,
        )?;
        if json {
            println!("{}", serde_json::to_string_pretty(&e)?);
        } else {
            println!("model {} on {}", artifact.version(), input.display());
            println!("{}", training::log_training::evaluation_table(&e));
        }
    }
    Ok(ExitCode::SUCCESS)
}
