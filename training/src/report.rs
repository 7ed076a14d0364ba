//! What training and evaluation on a log say in words: the model card
//! (Markdown), the per-rule table and the evaluation table `evaluate`
//! prints.

use crate::confirm::Confirmation;
use crate::log_training::{LogEvaluation, LogTraining};
use crate::rule_table::RuleTable;

/// Which models decide, in words.
fn deciding(a: &domain::risk::ModelArtifact) -> String {
    let w = &a.ensemble;
    let forest = a.boosted.as_ref().map(|b| b.trees.len()).unwrap_or(0);
    match (w.boosted_weight > 0.0, w.logistic_weight + w.tree_weight > 0.0) {
        (true, false) => format!("Gradient-boosted trees ({forest} trees, exact TreeSHAP) decide alone; the logistic regression and decision tree are scored beside them"),
        (true, true) => format!(
            "Logistic regression on standardised features ({}), a decision tree ({}) and gradient-boosted trees ({forest} trees, exact TreeSHAP; {})",
            w.logistic_weight, w.tree_weight, w.boosted_weight
        ),
        _ => format!(
            "Logistic regression on standardised features ({}) and a decision tree ({})",
            w.logistic_weight, w.tree_weight
        ),
    }
}

/// A model card in Markdown: data, features, figures, limits.
pub fn model_card(t: &LogTraining) -> String {
    let a = &t.artifact;
    let mut s = format!(
        "# Model card: {}\n\nVersion `{}` (sha256 of the artifact's canonical bytes), rule set `{}`, trained {}.\n\n\
         ## Data\n{}\n\n{} customers, {} training rows, {} log lines refused by the aggregate.\n\n\
         ## Model\n{}; \
         bands Low < {:.2} ≤ Medium < {:.2} ≤ High; rules can only raise the band.\n\n{}\n\n## Features\n",
        a.name,
        a.version(),
        a.rules.version,
        a.training.trained_at,
        a.training.data,
        deciding(a),
        t.customers,
        t.train_rows,
        t.refused_lines,
        a.bands.medium,
        a.bands.high,
        a.training.notes
    );
    for (f, c) in a.features.iter().zip(&a.logistic.coefficients) {
        s.push_str(&format!("- `{f}` (LR coefficient {c:+.4})\n"));
    }
    s.push_str("\n## Held-out figures\n\n| scorer | AUC | accuracy | precision High | recall High | Brier | KS |\n|---|---|---|---|---|---|---|\n");
    for (name, f) in &t.test.scorers {
        s.push_str(&format!(
            "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
            f.auc, f.accuracy, f.precision_high, f.recall_high, f.brier, f.ks
        ));
    }
    let w = &t.test.early_warning;
    s.push_str(&format!(
        "\n## What customers would experience (held-out customers, as deployed)\n\n\
         Decided at every event and at each day's end; a message goes out when the band rises into High \
         (ensemble ≥ {:.2}, or a rule that earned High).\n\n\
         - {:.1}% of the {} customers who became delinquent were messaged at least 30 days before their \
         first 30+ days past due ({:.1}% at any time before; median lead {:.0} days);\n\
         - {:.1}% of the {} never-delinquent customers were messaged at all;\n\
         - {:.1} risk alerts per 1,000 customers a month ({} decision moments).\n",
        a.bands.high,
        w.flagged_30_days_early * 100.0,
        w.delinquent_customers,
        w.flagged_before * 100.0,
        w.median_lead_days,
        w.false_alarm_rate * 100.0,
        w.never_delinquent_customers,
        w.alerts_per_1000_customers_per_month,
        w.moments
    ));
    s.push_str(&rules_markdown(&t.test.rules));
    let c = &t.calibration;
    s.push_str(&format!(
        "\n## Alert policy: the trade-off curve (validation customers)\n\n\
         Budget: at most {:.0}% of never-delinquent customers messaged in the period; aimed at {:.1}% on the \
         {} validation customers (neither fitted on nor tested on), on each of the {} training portfolios \
         (the healthy share below is the portfolio with the most). Rules that set High (the subset of rules \
         that, with the threshold, reaches the most delinquents early within the budget): {}.\n\n\
         | High threshold | delinquents messaged ≥ 30 days early | healthy customers messaged | |\n|---|---|---|---|\n",
        c.budget * 100.0,
        c.aimed_at * 100.0,
        c.customers,
        c.portfolios,
        if c.high_rules.is_empty() {
            "none".to_owned()
        } else {
            c.high_rules.join(", ")
        }
    ));
    for p in c.curve.iter().filter(|p| {
        let k = (p.high * 100.0).round() as i64;
        k % 5 == 0 || (p.high - c.chosen.high).abs() < 1e-9
    }) {
        let mark = if (p.high - c.chosen.high).abs() < 1e-9 {
            "**chosen**"
        } else {
            ""
        };
        s.push_str(&format!(
            "| {:.2} | {:.1}% | {:.1}% | {mark} |\n",
            p.high,
            p.flagged_30_days_early * 100.0,
            p.false_alarm_rate * 100.0
        ));
    }
    s.push_str(
        "\n## Limits\nTrained on a simulated portfolio: the figures say how well the model finds the stress patterns \
         the simulator knows, not how a real portfolio behaves. Refits of the tree are not guaranteed identical \
         across processes; the artifact, not a refit, is what decisions are replayed with.\n",
    );
    s
}

/// The per-rule table in Markdown.
pub fn rules_markdown(t: &RuleTable) -> String {
    let mut s = format!(
        "\n## Rules on held-out observations\n\n{} observations, base rate {:.1}%; the model's own High band: \
         {} observations, precision {:.1}%.\n\n\
         | rule | band | fires | precision | recall | lift | recall beyond the model |\n|---|---|---|---|---|---|---|\n",
        t.observations,
        t.base_rate * 100.0,
        t.model_high,
        t.model_high_precision * 100.0
    );
    for r in &t.rules {
        s.push_str(&format!(
            "| `{}` | {:?} | {:.1}% | {:.1}% | {:.1}% | {:.1} | {:.1}% |\n",
            r.id,
            r.band,
            r.fire_rate * 100.0,
            r.precision * 100.0,
            r.recall * 100.0,
            r.lift,
            r.recall_over_model * 100.0
        ));
    }
    s
}

/// A log evaluation as a table for people.
pub fn evaluation_table(e: &LogEvaluation) -> String {
    let w = &e.early_warning;
    let mut s = format!(
        "{} customers, {} lines refused by the aggregate (not evaluated), {} decision moments \
         (every event and each day's end), High from {:.2}\n\n\
         what customers experienced (messaged {}, {})\n\
         \x20 delinquent customers messaged >= 30 days early  {:>6.1}%  (of {})\n\
         \x20 delinquent customers messaged before at all    {:>6.1}%\n\
         \x20 median lead                                    {:>6.0} days\n\
         \x20 never-delinquent customers messaged            {:>6.1}%  (of {})\n\
         \x20 risk alerts per 1,000 customers a month        {:>6.1}\n\n\
         point-in-time observations: {} (delinquent within 90 days: {:.1}%)\n\
         \x20 scorer            AUC     KS  Brier  precision High  recall High\n",
        e.customers,
        e.refused_lines,
        w.moments,
        e.high_threshold,
        match e.confirmation {
            Confirmation::None => "at the first High",
            Confirmation::TwoEvaluations => "once High held for two evaluations in a row",
            Confirmation::Day => "once High held for a day",
        },
        if e.alert_budget >= 1.0 {
            "no portfolio alert budget".to_owned()
        } else {
            format!(
                "alert budget {:.0}% of the customers not delinquent a year",
                e.alert_budget * 100.0
            )
        },
        w.flagged_30_days_early * 100.0,
        w.delinquent_customers,
        w.flagged_before * 100.0,
        w.median_lead_days,
        w.false_alarm_rate * 100.0,
        w.never_delinquent_customers,
        w.alerts_per_1000_customers_per_month,
        e.observations,
        e.positive_rate * 100.0
    );
    for (name, f) in &e.scorers {
        s.push_str(&format!(
            "  {name:<15} {:.3}  {:.3}  {:.3}  {:>13.1}%  {:>10.1}%\n",
            f.auc,
            f.ks,
            f.brier,
            f.precision_high * 100.0,
            f.recall_high * 100.0
        ));
    }
    let t = &e.rules;
    s.push_str(&format!(
        "\nrules (model's own High band: precision {:.1}% on {} observations)\n\
         \x20 rule                    band    fires  precision  recall   lift  recall beyond model\n",
        t.model_high_precision * 100.0,
        t.model_high
    ));
    for r in &t.rules {
        s.push_str(&format!(
            "  {:<23} {:<6} {:>6.1}%  {:>8.1}%  {:>5.1}%  {:>5.1}  {:>6.1}%\n",
            r.id,
            format!("{:?}", r.band),
            r.fire_rate * 100.0,
            r.precision * 100.0,
            r.recall * 100.0,
            r.lift,
            r.recall_over_model * 100.0
        ));
    }
    s
}
