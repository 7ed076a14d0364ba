//! The model commands of the CLI: `simulate` a portfolio (and `reshape` it
//! as another bank's feed), `train` the
//! model and its alert policy on one, `calibrate` a model's policy on a
//! bank's own history (a log or the event store), and `evaluate` a model as
//! deployed (on a command log) or on data in the UCI layout.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Options of `early-risk simulate`.
#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// Customers.
    #[arg(long, default_value_t = 1_000)]
    pub customers: usize,
    /// Months of activity.
    #[arg(long, default_value_t = 12)]
    pub months: u32,
    /// Seed (same seed, same output).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Generator setting: `easy` (the original simulator), `realistic`
    /// or `hard` (look-alike healthy customers, weak or absent signals,
    /// daily days-past-due reports, late-arriving transactions).
    #[arg(long, default_value = "easy")]
    pub profile: training::simulate::Profile,
    /// Share of customers who go through financial stress.
    #[arg(long, default_value_t = 0.12)]
    pub stressed_share: f64,
    /// Index of the first customer (`SIM-{index:06}`), to combine
    /// portfolios of several settings without clashing ids.
    #[arg(long, default_value_t = 0)]
    pub first_index: usize,
    /// Where to write the NDJSON commands.
    #[arg(long, default_value = "portfolio.ndjson")]
    pub out: PathBuf,
    /// Where to write the truth CSV (customer, segment, stress start,
    /// first delinquency).
    #[arg(long, default_value = "portfolio-truth.csv")]
    pub truth: PathBuf,
}

/// Options of `early-risk reshape`.
#[derive(clap::Args, Debug)]
pub struct ReshapeArgs {
    /// The NDJSON command log to read.
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the reshaped log.
    #[arg(long)]
    pub out: PathBuf,
    /// Leave out returned payments and the payments they return.
    #[arg(long)]
    pub drop_returns: bool,
    /// Keep only each customer's last days-past-due report of each month.
    #[arg(long)]
    pub monthly_dpd: bool,
    /// Join each customer's purchases in pairs within a calendar month.
    #[arg(long)]
    pub merge_purchases: bool,
    /// Code merchants into three categories only.
    #[arg(long)]
    pub coarse_mcc: bool,
    /// Scale every credit limit by this factor (> 0).
    #[arg(long)]
    pub limit_factor: Option<f64>,
}

/// `early-risk reshape`.
pub fn reshape(args: ReshapeArgs) -> anyhow::Result<ExitCode> {
    if let Some(f) = args.limit_factor {
        anyhow::ensure!(
            f.is_finite() && f > 0.0,
            "--limit-factor must be a positive number, not {f}"
        );
    }
    // The same file under another name would be emptied before it is read.
    let input = std::fs::canonicalize(&args.input)
        .with_context(|| format!("reading {}", args.input.display()))?;
    anyhow::ensure!(
        std::fs::canonicalize(&args.out).ok().as_ref() != Some(&input),
        "--out must not be --input ({})",
        args.input.display()
    );
    let shape = training::feed::FeedShape {
        drop_returns: args.drop_returns,
        monthly_dpd: args.monthly_dpd,
        merge_purchases: args.merge_purchases,
        coarse_mcc: args.coarse_mcc,
        limit_factor: args.limit_factor,
    };
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let done = training::feed::reshape(&args.input, &shape, std::io::BufWriter::new(file))
        .with_context(|| format!("reshaping {}", args.input.display()))?;
    println!(
        "{} lines read, {} written to {} ({} returns and returned payments left out, \
         {} days-past-due reports left out, {} purchases joined)",
        done.read,
        done.written,
        args.out.display(),
        done.returns_dropped,
        done.reports_dropped,
        done.purchases_merged
    );
    Ok(ExitCode::SUCCESS)
}

/// `early-risk simulate`.
pub fn simulate(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let SimulateArgs {
        customers,
        months,
        seed,
        profile,
        stressed_share,
        first_index,
        out,
        truth,
    } = args;
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

/// Options of `early-risk train`.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// The NDJSON command logs, one portfolio each (repeat `--input`): the
    /// false-alarm budget must hold on every one of them.
    #[arg(long, required = true)]
    pub input: Vec<PathBuf>,
    /// Directory for the artifact and the model card.
    #[arg(long, default_value = "artifacts")]
    pub out: PathBuf,
    /// Split and fit seed.
    #[arg(long, default_value_t = 20_051_001)]
    pub seed: u64,
    /// Days between observation dates.
    #[arg(long, default_value_t = 14)]
    pub step_days: i64,
    /// Share of never-delinquent customers that may be messaged in the
    /// period: the High threshold is chosen on validation customers to
    /// stay within it.
    #[arg(long, env = "ALERT_FALSE_ALARM_BUDGET", default_value_t = 0.10)]
    pub false_alarm_budget: f64,
    /// Training time recorded in the artifact (default: now).
    #[arg(long)]
    pub trained_at: Option<String>,
    /// Which model decides: the seed's LR + tree, the boosted forest, or a
    /// blend of the two (half each).
    #[arg(long, default_value = "baseline", value_parser = ["baseline", "boosted", "blend"])]
    pub deciding: String,
    /// Hold each feature's known direction in the forest.
    #[arg(long)]
    pub monotone: bool,
}

/// `early-risk train`.
pub fn train(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let TrainArgs {
        input,
        out,
        seed,
        step_days,
        trained_at,
        false_alarm_budget,
        deciding,
        monotone,
    } = args;
    let boost = training::boost::BoostConfig {
        monotone,
        ..training::boost::BoostConfig::default()
    };
    let deciding = match deciding.as_str() {
        "boosted" => training::champion::Deciding::Boosted(boost),
        "blend" => training::champion::Deciding::Blend(boost),
        _ => training::champion::Deciding::Baseline,
    };
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
        deciding,
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

/// Options of `early-risk evaluate`.
#[derive(clap::Args, Debug)]
pub struct EvaluateArgs {
    /// The NDJSON command log.
    #[arg(long)]
    pub input: PathBuf,
    /// The artifact (default: the model built into the binary, the
    /// shipped `artifacts/model.json`).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Days between observation dates.
    #[arg(long, default_value_t = 14)]
    pub step_days: i64,
    /// Print JSON only.
    #[arg(long)]
    pub json: bool,
    /// `log` (an NDJSON command log) or `uci` (a CSV in the UCI layout).
    #[arg(long, default_value = "log", value_parser = ["log", "uci"])]
    pub format: String,
    /// Only the customers the training run with this seed held out (the
    /// split is by customer-id hash), so the figures are out of sample.
    #[arg(long)]
    pub held_out_seed: Option<u64>,
    /// Message once High has held: `none` (at the first High), `two` (two
    /// evaluations in a row) or `day` (through a whole day).
    #[arg(long, env = "ALERT_CONFIRMATION", default_value = "none")]
    pub confirmation: training::confirm::Confirmation,
    /// The portfolio's alert budget, as `serve` holds it: a rise into High
    /// that would message one more customer is withheld once the customers
    /// messaged in a year who have not become delinquent reach this share
    /// of those not delinquent (1: never withheld).
    #[arg(long, env = "ALERT_FALSE_ALARM_BUDGET", default_value_t = 0.10,
          value_parser = alerts::config::share)]
    pub false_alarm_budget: f64,
    /// Also write each customer's outcome as CSV to this file:
    /// `customer_id,first_delinquent,first_message,lead_days` (times in
    /// RFC 3339, empty when it never happened), then the reason codes of
    /// the first decision in the artifact's High band (`;`-separated) and
    /// the features it scored, one column each. Command logs only.
    #[arg(long)]
    pub per_customer: Option<PathBuf>,
}

/// Writes `outcomes` as the `--per-customer` CSV.
fn write_outcomes(
    path: &std::path::Path,
    outcomes: &[training::deployed::Outcome],
) -> anyhow::Result<()> {
    use std::io::Write;
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let at = |t: Option<i64>| {
        t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.to_rfc3339())
            .unwrap_or_default()
    };
    let names = domain::features::FEATURE_NAMES;
    writeln!(
        w,
        "customer_id,first_delinquent,first_message,lead_days,first_high_reasons,{}",
        names.join(",")
    )?;
    for o in outcomes {
        let lead = match (o.first_delinquent, o.first_message) {
            (Some(d), Some(m)) => format!("{:.1}", (d - m) as f64 / 86_400.0),
            _ => String::new(),
        };
        let (reasons, values) = match &o.first_high {
            Some(h) => (
                h.reasons.join(";"),
                h.features.to_vec().iter().map(f64::to_string).collect(),
            ),
            None => (String::new(), vec![String::new(); names.len()]),
        };
        writeln!(
            w,
            "{},{},{},{lead},{reasons},{}",
            o.customer_id,
            at(o.first_delinquent),
            at(o.first_message),
            values.join(",")
        )?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))
}

/// `early-risk evaluate`.
pub fn evaluate(args: EvaluateArgs) -> anyhow::Result<ExitCode> {
    let EvaluateArgs {
        input,
        model,
        step_days,
        json,
        format,
        held_out_seed,
        confirmation,
        false_alarm_budget,
        per_customer,
    } = args;
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
            confirmation,
            domain::alert_budget::AlertBudget::of_share(false_alarm_budget),
        )?;
        if let Some(path) = &per_customer {
            write_outcomes(path, &e.outcomes)?;
        }
        if json {
            println!("{}", serde_json::to_string_pretty(&e)?);
        } else {
            println!("model {} on {}", artifact.version(), input.display());
            println!("{}", training::log_training::evaluation_table(&e));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Options of `early-risk calibrate`.
#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    /// The bank's own history: NDJSON command logs, one portfolio each
    /// (repeat `--input`); the budget must hold on every one.
    #[arg(
        long,
        required_unless_present = "from_store",
        conflicts_with = "from_store"
    )]
    pub input: Vec<PathBuf>,
    /// Read the history from the event store instead (`DATABASE_URL`, or
    /// the private cluster): the facts recorded there, one portfolio.
    #[arg(long)]
    pub from_store: bool,
    /// Database options (with `--from-store`).
    #[command(flatten)]
    pub db: crate::database::DatabaseArgs,
    /// The artifact whose policy is chosen again (default: the model built
    /// into the binary).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Where to write the recalibrated `model.json`.
    #[arg(long)]
    pub out: PathBuf,
    /// Share of never-delinquent customers that may be messaged in the
    /// period.
    #[arg(long, env = "ALERT_FALSE_ALARM_BUDGET", default_value_t = 0.10)]
    pub false_alarm_budget: f64,
    /// Days between observation dates (for the rule table).
    #[arg(long, default_value_t = 14)]
    pub step_days: i64,
}

/// `early-risk calibrate`: the alert policy chosen on the bank's history,
/// the scorers kept (a new artifact version).
pub async fn calibrate(args: CalibrateArgs) -> anyhow::Result<ExitCode> {
    let CalibrateArgs {
        input,
        from_store,
        db,
        model,
        out,
        false_alarm_budget,
        step_days,
    } = args;
    let target = out.join("model.json");
    if let Some(m) = &model {
        // The artifact read would be replaced by the one written.
        let read = std::fs::canonicalize(m).with_context(|| format!("reading {}", m.display()))?;
        anyhow::ensure!(
            std::fs::canonicalize(&target).ok().as_ref() != Some(&read),
            "--out must not hold the --model it reads ({})",
            m.display()
        );
    }
    let artifact = crate::model::ModelArgs { path: model }.artifact()?;
    let r = if from_store {
        let db = db.open().await?;
        let histories = crate::store_history::customer_histories(&db.pool).await;
        db.shutdown().await;
        let histories = histories?;
        let portfolio_of = histories.keys().map(|id| (id.clone(), 0)).collect();
        let model = artifact.clone();
        tokio::task::spawn_blocking(move || {
            training::recalibrate::recalibrate(
                &model,
                &histories,
                &portfolio_of,
                step_days,
                false_alarm_budget,
                &["the event store".to_owned()],
            )
        })
        .await
        .context("choosing the policy")??
    } else {
        training::recalibrate::recalibrate_from_logs(
            &artifact,
            &input,
            step_days,
            false_alarm_budget,
        )?
    };
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    std::fs::write(&target, serde_json::to_string_pretty(&r.artifact)?)
        .with_context(|| format!("writing {}", target.display()))?;
    let c = &r.calibration;
    println!(
        "model {} written to {} ({} customers, {} lines refused by the aggregate)",
        r.artifact.version(),
        target.display(),
        c.customers,
        r.refused_lines
    );
    println!(
        "High from {:.2} (was {:.2}): {:.1} % of the delinquent customers messaged >= 30 days \
         early, {:.1} % of the never-delinquent messaged, on the portfolio with the most false \
         alarms (aimed at {:.1} %); rules that set High: {}",
        c.chosen.high,
        artifact.bands.high,
        c.chosen.flagged_30_days_early * 100.0,
        c.chosen.false_alarm_rate * 100.0,
        c.aimed_at * 100.0,
        if c.high_rules.is_empty() {
            "none".to_owned()
        } else {
            c.high_rules.join(", ")
        }
    );
    Ok(ExitCode::SUCCESS)
}
