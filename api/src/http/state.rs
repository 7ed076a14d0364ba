//! What every handler can reach: the database, the command buses, the
//! token issuer and the settings of this process ([`AppState`]).

use std::sync::Arc;

use domain::audit_trail::AuditTrail;
use domain::login::Login;
use domain::Customer;
use projections::lag::LagTracker;
use sqlx::PgPool;
use store::notifier::Notifier;
use store::CommandBus;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub pool: PgPool,
    /// Customer commands.
    pub customers: CommandBus<Customer>,
    /// Wakes readers in this process after commits.
    pub notifier: Arc<Notifier>,
    /// Commit-to-projected latencies of the runners in this process.
    pub lag: Arc<LagTracker>,
    /// WhatsApp webhooks, when this process receives them.
    pub webhooks: Option<Arc<super::webhooks::WebhookState>>,
    /// Sign-in streams, one per phone.
    pub logins: CommandBus<Login>,
    /// Issues and checks access tokens.
    pub tokens: Arc<crate::auth::Tokens>,
    /// Hashes and seals one-time codes.
    pub otp_keys: alerts::otp::OtpKeys,
    /// Demo mode: the local inbox is readable without a token.
    pub demo: bool,
    /// Templates for manual alerts.
    pub alert_policy: alerts::AlertPolicy,
    /// Audit reads, one trail per reader.
    pub audit_trails: CommandBus<AuditTrail>,
    /// Models by version from the registry, for replays.
    pub audit_models: Arc<::audit::models::ModelCache>,
    /// Turns for recording on each reader's audit trail.
    pub audit_locks: Arc<super::audit::trail::TrailLocks>,
    /// CORS origins and sign-in rate (see [`super::security`]).
    pub security: super::security::SecuritySettings,
    /// Sign-in rate limiters per client.
    pub sign_in: Arc<super::security::SignInLimits>,
    /// How far ahead of the server's clock a reported fact may be dated
    /// (`MAX_FUTURE_SKEW`).
    pub max_future_skew: chrono::Duration,
    /// HTTP requests and their latency in this process (for `/metrics`).
    pub http_metrics: Arc<super::metrics::HttpMetrics>,
}

impl AppState {
    /// State over a migrated database.
    pub fn new(pool: PgPool) -> Self {
        let notifier = Notifier::start(pool.clone());
        let store = store::PgEventStore::new(pool.clone()).with_notifier(notifier.clone());
        let customers = CommandBus::new(store);
        let logins =
            CommandBus::new(store::PgEventStore::new(pool.clone()).with_notifier(notifier.clone()));
        let audit_trails =
            CommandBus::new(store::PgEventStore::new(pool.clone()).with_notifier(notifier.clone()));
        // Until real settings are given, nobody can obtain a token and codes
        // are keyed with a throwaway secret.
        let throwaway = uuid::Uuid::new_v4();
        Self {
            pool,
            customers,
            notifier,
            lag: Arc::new(LagTracker::default()),
            webhooks: None,
            logins,
            tokens: Arc::new(crate::auth::Tokens::unusable()),
            otp_keys: alerts::otp::OtpKeys::derive(throwaway.as_bytes()),
            demo: false,
            alert_policy: alerts::AlertPolicy::default(),
            audit_trails,
            audit_models: Arc::new(::audit::models::ModelCache::new()),
            audit_locks: Arc::default(),
            security: super::security::SecuritySettings::default(),
            sign_in: Arc::new(super::security::SignInLimits::new(
                &super::security::SecuritySettings::default(),
            )),
            max_future_skew: super::clock::DEFAULT_MAX_FUTURE_SKEW,
            http_metrics: Arc::default(),
        }
    }

    /// How far ahead of the clock a reported fact may be dated.
    pub fn with_max_future_skew(mut self, skew: chrono::Duration) -> Self {
        self.max_future_skew = skew;
        self
    }

    /// CORS origins and sign-in rate limits.
    pub fn with_security(mut self, settings: super::security::SecuritySettings) -> Self {
        self.sign_in = Arc::new(super::security::SignInLimits::new(&settings));
        self.security = settings;
        self
    }

    /// The alert templates admins' manual alerts use.
    pub fn with_alert_policy(mut self, policy: alerts::AlertPolicy) -> Self {
        self.alert_policy = policy;
        self
    }

    /// Tokens and code keys from the auth settings.
    pub fn with_auth(mut self, settings: &crate::auth::AuthSettings) -> Self {
        self.tokens = Arc::new(crate::auth::Tokens::new(settings));
        self.otp_keys = alerts::otp::OtpKeys::derive(settings.secret());
        self
    }

    /// Demo mode (see [`AppState::demo`]).
    pub fn with_demo(mut self, demo: bool) -> Self {
        self.demo = demo;
        self
    }

    /// Receive WhatsApp webhooks (and, in local mode, show the inbox).
    pub fn with_webhooks(mut self, webhooks: super::webhooks::WebhookState) -> Self {
        self.webhooks = Some(Arc::new(webhooks));
        self
    }
}
