//! Training and evaluation on a command log (the simulator's NDJSON): replay,
//! point-in-time rows every `step_days`, a split by customer, the two fits,
//! and the early-warning evaluation on the held-out customers.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use domain::risk::{Band, BandThresholds, ModelArtifact, RuleSet, DELINQUENT_RULE};
use serde::Serialize;

use crate::budget::budgeted;
use crate::champion::{deciding_model, Deciding};
use crate::confirm::{confirmed, Confirmation};
use crate::dataset::unit_hash;
use crate::deployed::{
    choose_high, curve_on_every, experienced, outcomes, threshold_grid, timelines, CurvePoint,
    Experienced, HighBand, Outcome,
};
use crate::pit::{early_rows, point_in_time, replay, History, Observation};
use crate::rule_table::{rule_table, RuleTable};
use crate::warning::{evaluate_observations, ScorerFigures};
use crate::{fit, FitConfig, TrainingError, TEST_FRACTION};
use domain::alert_budget::AlertBudget;

pub use crate::report::{evaluation_table, model_card, rules_markdown};

/// What training on a log produced.
#[derive(Debug, Serialize)]
pub struct LogTraining {
    /// The artifact (metrics recorded in `training.metrics`).
    #[serde(skip)]
    pub artifact: ModelArtifact,
    /// Customers in the log.
    pub customers: usize,
    /// Lines the aggregate refused.
    pub refused_lines: usize,
    /// Training rows.
    pub train_rows: usize,
    /// How the High threshold and the rule bands were chosen.
    pub calibration: Calibration,
    /// Evaluation on the held-out customers, as deployed.
    pub test: LogEvaluation,
    /// SVG figures (file name, content): ROC, calibration, lead times.
    #[serde(skip)]
    pub plots: Vec<(String, String)>,
}

/// The choice of the High threshold and of the rules that may set High, on
/// validation customers (neither fitted on nor tested on).
#[derive(Clone, Debug, Serialize)]
pub struct Calibration {
    /// The false-alarm budget asked for (share of never-delinquent
    /// customers messaged in the period).
    pub budget: f64,
    /// The budget aimed at on validation: [`SAFETY`] × `budget`, since the
    /// portfolio the model runs on is not the one it was chosen on.
    pub aimed_at: f64,
    /// Validation customers.
    pub customers: usize,
    /// Portfolios the budget had to hold on, each (the training inputs).
    pub portfolios: usize,
    /// Rules whose precision earned them the High band.
    pub high_rules: Vec<String>,
    /// The rules measured on the validation observations.
    pub rule_table: RuleTable,
    /// The trade-off curve (with the rules that set High).
    pub curve: Vec<CurvePoint>,
    /// The chosen point.
    pub chosen: CurvePoint,
}

/// How far ahead the rows a model is fitted on look for a delinquency.
pub const FIT_HORIZON_DAYS: i64 = 150;
/// Rows this close before a delinquency are left out of the fit: an alert
/// that late is not early, and the missed payment itself would otherwise
/// drown out the signals that show months before (on realistic simulated
/// portfolios this took delinquents messaged 30 days early from 32 % to
/// 72 % at the same false-alarm rate; see `docs/decision.md`).
pub const FIT_MIN_LEAD_DAYS: i64 = 30;

/// Share of the false-alarm budget aimed at on validation data.
pub const SAFETY: f64 = 0.8;
/// Share of customers held out for validation (besides the test share).
pub const VALIDATION_FRACTION: f64 = 0.2;

/// Which part of a split a customer is in: `0` test, `1` validation, `2` fit.
pub fn part(customer_id: &str, seed: u64) -> u8 {
    let u = unit_hash(customer_id, seed);
    if u < TEST_FRACTION {
        0
    } else if u < TEST_FRACTION + VALIDATION_FRACTION {
        1
    } else {
        2
    }
}

fn open(path: &Path) -> Result<BufReader<File>, TrainingError> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| TrainingError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
}

/// A log evaluated as the system decides: point-in-time scorer figures and
/// the rule table on observations every `step_days`, and what customers
/// experienced with decisions at every event and each day's end.
#[derive(Clone, Debug, Serialize)]
pub struct LogEvaluation {
    /// Customers evaluated.
    pub customers: usize,
    /// Lines of the log the aggregate refused (not evaluated).
    pub refused_lines: usize,
    /// Point-in-time observations scored for the scorer figures.
    pub observations: usize,
    /// Share of observations labelled delinquent within the horizon.
    pub positive_rate: f64,
    /// Per scorer: `logistic`, `tree`, `ensemble`, `ensemble_rules`.
    pub scorers: BTreeMap<String, ScorerFigures>,
    /// Share of observations per final band.
    pub band_mix: BTreeMap<String, f64>,
    /// What customers experienced: messaged early, messaged at all, lead,
    /// alerts per 1,000 customers a month (every event and each day's end).
    pub early_warning: Experienced,
    /// Each rule measured.
    pub rules: RuleTable,
    /// The High threshold and the rules that set High in this artifact.
    pub high_threshold: f64,
    /// How long High had to hold before a message (`early_warning`).
    pub confirmation: Confirmation,
    /// The portfolio's alert budget the messages were held to (a share of
    /// the customers not delinquent per year; 1 holds nothing back).
    pub alert_budget: f64,
    /// Each customer's first delinquency and first message.
    #[serde(skip)]
    pub outcomes: Vec<Outcome>,
}

fn evaluate_parts(
    model: &ModelArtifact,
    histories: &BTreeMap<String, History>,
    observations: &[Observation],
    refused_lines: usize,
    confirmation: Confirmation,
    budget: AlertBudget,
) -> LogEvaluation {
    let points = evaluate_observations(model, observations);
    let lines = budgeted(
        &confirmed(&timelines(model, histories), confirmation),
        HighBand::of(model),
        budget,
    );
    LogEvaluation {
        customers: histories.len(),
        refused_lines,
        observations: points.observations,
        positive_rate: points.positive_rate,
        scorers: points.scorers,
        band_mix: points.band_mix,
        early_warning: experienced(&lines, HighBand::of(model)),
        rules: rule_table(model, observations),
        high_threshold: model.bands.high,
        confirmation,
        alert_budget: budget.share,
        outcomes: outcomes(&lines, HighBand::of(model)),
    }
}

/// Chooses the alert policy on the validation customers and writes it into
/// `model`: which rules set High and the High threshold, so that as many
/// delinquent customers as possible are messaged at least 30 days early
/// while at most `aimed_at` of the never-delinquent customers are messaged
/// at all on each training portfolio — measured as deployed (every event
/// and each day's end), per customer. Every subset of the rules is tried with every threshold of the
/// grid; a tie goes to fewer rules. A rule left out of High stays Medium and
/// is still named in the reasons.
pub(crate) fn calibrate(
    model: &mut ModelArtifact,
    histories: &BTreeMap<String, History>,
    portfolio_of: &BTreeMap<String, usize>,
    observations: &[Observation],
    budget: f64,
) -> Calibration {
    let aimed_at = budget * SAFETY;
    let lines = timelines(model, histories);
    let of = |id: &str| portfolio_of.get(id).copied().unwrap_or(0);
    let grid = threshold_grid();
    let n = model.rules.rules.len().min(12);
    // The delinquent-account rule is High by definition (it never fires
    // before a delinquency, so it moves neither figure).
    let fixed: u64 = model
        .rules
        .rules
        .iter()
        .take(n)
        .enumerate()
        .filter(|(_, r)| r.id == DELINQUENT_RULE)
        .map(|(k, _)| 1_u64 << k)
        .sum();
    let mut best: Option<(CurvePoint, u64, Vec<CurvePoint>)> = None;
    for mask in (0..(1_u64 << n)).filter(|m| m & fixed == fixed) {
        let points = curve_on_every(&lines, of, mask, &grid);
        let p = choose_high(&points, aimed_at);
        if p.false_alarm_rate > aimed_at {
            continue;
        }
        let better = match &best {
            None => true,
            Some((b, m, _)) => {
                p.flagged_30_days_early > b.flagged_30_days_early + 1e-12
                    || ((p.flagged_30_days_early - b.flagged_30_days_early).abs() <= 1e-12
                        && mask.count_ones() < m.count_ones())
            }
        };
        if better {
            best = Some((p, mask, points));
        }
    }
    let (chosen, mask, points) = best.unwrap_or_else(|| {
        let points = curve_on_every(&lines, of, fixed, &grid);
        (choose_high(&points, aimed_at), fixed, points)
    });
    let mut high_rules = Vec::new();
    for (k, rule) in model.rules.rules.iter_mut().enumerate() {
        let high = k < 64 && mask & (1 << k) != 0;
        rule.band = if high { Band::High } else { Band::Medium };
        if high {
            high_rules.push(rule.id.clone());
        }
    }
    set_high(model, chosen.high);
    Calibration {
        budget,
        aimed_at,
        customers: histories.len(),
        portfolios: portfolio_of
            .values()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        high_rules,
        rule_table: rule_table(model, observations),
        curve: points,
        chosen,
    }
}

/// Sets the High threshold, with Medium from half of it.
fn set_high(model: &mut ModelArtifact, high: f64) {
    model.bands = BandThresholds {
        medium: (high / 2.0).min(crate::fit::BANDS.medium),
        high,
    };
}

fn subset<T: Clone>(map: &BTreeMap<String, T>, keep: impl Fn(&str) -> bool) -> BTreeMap<String, T> {
    map.iter()
        .filter(|(id, _)| keep(id))
        .map(|(id, h)| (id.clone(), h.clone()))
        .collect()
}

/// Histories, the portfolio (input) of each customer, lines refused.
type Replayed = (BTreeMap<String, History>, BTreeMap<String, usize>, usize);

/// The logs at `paths` replayed together, and which of them each customer
/// came from. A customer id in two logs is refused: they would be folded as
/// one customer.
pub(crate) fn replay_all(paths: &[PathBuf]) -> Result<Replayed, TrainingError> {
    let (mut histories, mut portfolio_of, mut refused) = (BTreeMap::new(), BTreeMap::new(), 0);
    for (k, path) in paths.iter().enumerate() {
        let (h, r) = replay(open(path)?)?;
        refused += r;
        for (id, history) in h {
            if histories.insert(id.clone(), history).is_some() {
                return Err(TrainingError::Data(format!(
                    "customer {id} is in {} and in an earlier log: give each portfolio its own ids \
                     (`simulate --first-index`)",
                    path.display()
                )));
            }
            portfolio_of.insert(id, k);
        }
    }
    Ok((histories, portfolio_of, refused))
}

/// Trains on the logs at `paths` (one portfolio each, customer ids their
/// own): fits on 60 % of the customers, chooses the High threshold and the
/// rules' bands on 20 % so that the false-alarm `budget` holds on every
/// portfolio, and evaluates on the other 20 % as deployed.
pub fn train_from_log(
    paths: &[PathBuf],
    cfg: &FitConfig,
    step_days: i64,
    trained_at: &str,
    budget: f64,
    deciding: Deciding,
) -> Result<LogTraining, TrainingError> {
    let (histories, portfolio_of, refused_lines) = replay_all(paths)?;
    let (_, observations) = point_in_time(&histories, step_days);
    let data = early_rows(&histories, step_days, FIT_HORIZON_DAYS, FIT_MIN_LEAD_DAYS);
    let fit_rows: Vec<usize> = (0..data.len())
        .filter(|&i| part(&data.ids[i], cfg.seed) == 2)
        .collect();
    let train = data.select(fit_rows);
    let description = format!(
        "simulated portfolios {} ({} customers); point-in-time rows every {step_days} days, \
         label: 30+ days past due within {FIT_HORIZON_DAYS} days, rows of the last \
         {FIT_MIN_LEAD_DAYS} days before a delinquency left out; fitted on {:.0} % of customers, High \
         threshold and rule bands chosen on {:.0} % (within the budget on each portfolio), {:.0} % held out",
        paths
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(", "),
        histories.len(),
        (1.0 - TEST_FRACTION - VALIDATION_FRACTION) * 100.0,
        VALIDATION_FRACTION * 100.0,
        TEST_FRACTION * 100.0
    );
    let cfg = FitConfig {
        leave_out: crate::feed::FEED_DEPENDENT,
        ..*cfg
    };
    let name = match deciding {
        Deciding::Baseline => "sim-pit-lr-tree",
        Deciding::Boosted(_) => "sim-pit-boosted",
        Deciding::Blend(_) => "sim-pit-blend",
    };
    let baseline = fit(&train, &cfg, name, &description, trained_at)?;
    let mut artifact = deciding_model(baseline, &train, &cfg, deciding)?;
    artifact.rules = RuleSet::qualified();
    let of_part = |p: u8| {
        let h = subset(&histories, |id| part(id, cfg.seed) == p);
        let o: Vec<Observation> = observations
            .iter()
            .filter(|o| part(&o.customer_id, cfg.seed) == p)
            .cloned()
            .collect();
        (h, o)
    };
    let (validation, validation_obs) = of_part(1);
    let calibration = calibrate(
        &mut artifact,
        &validation,
        &portfolio_of,
        &validation_obs,
        budget,
    );
    let (held_out, held_out_obs) = of_part(0);
    let test = evaluate_parts(
        &artifact,
        &held_out,
        &held_out_obs,
        refused_lines,
        Confirmation::None,
        // The policy's own figures: the portfolio budget is not what the
        // threshold was chosen with.
        AlertBudget::of_share(1.0),
    );
    let m = &mut artifact.training.metrics;
    for (name, f) in &test.scorers {
        m.insert(format!("{name}_auc_test"), f.auc);
        m.insert(format!("{name}_precision_high_test"), f.precision_high);
        m.insert(format!("{name}_recall_high_test"), f.recall_high);
    }
    let w = &test.early_warning;
    m.insert("flagged_30_days_early_test".into(), w.flagged_30_days_early);
    m.insert("false_alarm_rate_test".into(), w.false_alarm_rate);
    m.insert("median_lead_days_test".into(), w.median_lead_days);
    m.insert(
        "alerts_per_1000_customers_per_month_test".into(),
        w.alerts_per_1000_customers_per_month,
    );
    m.insert("false_alarm_budget".into(), budget);
    m.insert(
        "flagged_30_days_early_validation".into(),
        calibration.chosen.flagged_30_days_early,
    );
    m.insert(
        "false_alarm_rate_validation".into(),
        calibration.chosen.false_alarm_rate,
    );
    artifact
        .validate()
        .map_err(|e| TrainingError::Artifact(e.to_string()))?;
    let plots = figures(&artifact, &held_out_obs, &test);
    Ok(LogTraining {
        artifact,
        customers: histories.len(),
        refused_lines,
        train_rows: train.len(),
        calibration,
        test,
        plots,
    })
}

/// The model card's figures on the held-out observations.
fn figures(
    model: &ModelArtifact,
    held_out: &[Observation],
    test: &LogEvaluation,
) -> Vec<(String, String)> {
    let labels: Vec<bool> = held_out.iter().map(|o| o.label).collect();
    let scored: Vec<_> = held_out
        .iter()
        .map(|o| domain::risk::assess(model, &o.features).scores)
        .collect();
    let lr: Vec<f64> = scored.iter().map(|s| s.logistic).collect();
    let tree: Vec<f64> = scored.iter().map(|s| s.tree).collect();
    let ensemble: Vec<f64> = scored.iter().map(|s| s.ensemble).collect();
    let curves: [(&str, &[f64], &[bool]); 3] = [
        ("logistic", &lr, &labels),
        ("tree", &tree, &labels),
        ("ensemble", &ensemble, &labels),
    ];
    vec![
        ("roc.svg".into(), crate::plots::roc_svg(&curves)),
        (
            "calibration.svg".into(),
            crate::plots::calibration_svg("ensemble", &ensemble, &labels, 10),
        ),
        (
            "lead-time.svg".into(),
            crate::plots::lead_time_svg(&test.early_warning.lead_days, 14.0),
        ),
    ]
}

/// Evaluates `model` on the log at `path` as deployed (only the held-out
/// customers of a training run when `held_out_seed` is that run's seed),
/// messaging once High has held as `confirmation` says and within the
/// portfolio's alert `budget`.
pub fn evaluate_log(
    path: &Path,
    model: &ModelArtifact,
    step_days: i64,
    held_out_seed: Option<u64>,
    confirmation: Confirmation,
    budget: AlertBudget,
) -> Result<LogEvaluation, TrainingError> {
    let (mut histories, refused) = replay(open(path)?)?;
    if let Some(seed) = held_out_seed {
        histories.retain(|id, _| part(id, seed) == 0);
    }
    let (_, observations) = point_in_time(&histories, step_days);
    Ok(evaluate_parts(
        model,
        &histories,
        &observations,
        refused,
        confirmation,
        budget,
    ))
}
