//! Wiring of the alert machinery into a process: settings from the
//! environment, the adapter (Cloud API or local inbox), the runtime, and the
//! webhook routes' state.

use alerts::webhook::DeliveryRecorder;
use alerts::{Adapter, AlertPolicy, AlertsConfig, AlertsRuntime, DispatchConfig, WhatsAppSettings};

use crate::http::webhooks::WebhookState;
use crate::http::AppState;

/// Alert settings of this process.
pub struct Alerting {
    settings: WhatsAppSettings,
    policy: AlertPolicy,
    dispatch: DispatchConfig,
    adapter: Adapter,
}

impl Alerting {
    /// Reads `WHATSAPP_*` and `ALERT_*`; refuses a half-configured setup.
    pub fn from_env() -> anyhow::Result<Self> {
        let settings = WhatsAppSettings::from_env()?;
        let dispatch = DispatchConfig::from_env()?;
        let adapter = Adapter::from_settings(&settings, &dispatch)?;
        match &adapter {
            Adapter::Local(_) => {
                tracing::info!("no WHATSAPP_TOKEN: alerts go to the local inbox (GET /v1/local/whatsapp/messages)")
            }
            Adapter::Cloud(c) => {
                tracing::info!(base_url = %c.base_url, api_version = %c.api_version, "alerts go to the WhatsApp Cloud API")
            }
        }
        Ok(Self {
            settings,
            policy: AlertPolicy::from_env()?,
            dispatch,
            adapter,
        })
    }

    /// For `serve --demo`: three customers are no portfolio to hold a budget
    /// on (one message would be a third of it), so the demo's escalations are
    /// never withheld unless `ALERT_FALSE_ALARM_BUDGET` is set.
    pub fn for_demo(mut self) -> Self {
        if std::env::var("ALERT_FALSE_ALARM_BUDGET").map_or(true, |v| v.trim().is_empty()) {
            self.policy.budget = domain::alert_budget::AlertBudget::of_share(1.0);
        }
        self
    }

    /// The alert policy (templates for manual alerts).
    pub fn policy(&self) -> &AlertPolicy {
        &self.policy
    }

    /// State for the webhook routes.
    pub fn webhook_state(&self, state: &AppState) -> WebhookState {
        WebhookState {
            app_secret: self.settings.app_secret.clone(),
            verify_token: self.settings.verify_token.clone(),
            recorder: DeliveryRecorder::new(state.pool.clone(), state.customers.clone()),
            local_inbox: self.adapter.local_inbox(),
        }
    }

    /// Starts the escalation policy, the outbox and the dispatcher, their
    /// runners reading the log through `tail` when one is given.
    pub fn start(
        &self,
        state: &AppState,
        tail: Option<std::sync::Arc<store::events::tail::LogTail>>,
    ) -> AlertsRuntime {
        AlertsRuntime::start(AlertsConfig {
            pool: state.pool.clone(),
            bus: state.customers.clone(),
            lag: state.lag.clone(),
            notifier: Some(state.notifier.clone()),
            policy: self.policy.clone(),
            dispatch: self.dispatch.clone(),
            adapter: self.adapter.clone(),
            codes: Some(alerts::dispatcher::CodeSender {
                logins: state.logins.clone(),
                keys: state.otp_keys.clone(),
            }),
            tail,
        })
    }
}
