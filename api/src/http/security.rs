//! Security defaults every response goes through: security headers, CORS
//! (closed unless `CORS_ALLOWED_ORIGINS` names origins), limits on header
//! size and on bodies of routes that set none of their own, and per-client
//! rate limits on the sign-in routes.
//!
//! # Layout
//! - [`SecuritySettings`]: what `serve` reads from the environment.
//! - [`headers`]: `nosniff`, `DENY`, CSP, `no-referrer`, `no-store` on
//!   everything the API answers.
//! - [`header_limits`]: 431 for oversized headers, 414 for oversized URIs.
//! - [`cors`]: the optional CORS layer.
//! - [`SignInLimiter`], [`limit_sign_in`]: token buckets per peer IP for
//!   `/v1/auth/login` and `/v1/auth/otp/*`, answering 429 with
//!   `Retry-After`.
//!
//! The peer is the TCP peer (`ConnectInfo<SocketAddr>`), never a forwarded
//! header a client could forge; behind a proxy every client shares the
//! proxy's bucket, so the proxy should limit too.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::problem::Problem;

/// Body limit for routes that set none of their own (sign-in, admin
/// actions); ingest and webhooks set theirs.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;
/// Most bytes of header names and values in one request.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Longest request target (path and query).
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Content-Security-Policy of the API and a same-origin static console:
/// only our own origin, never framed.
const CSP: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; \
                   base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Swagger UI at `/docs` sets inline `style` attributes and data-URI icons.
const CSP_DOCS: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                        object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Security settings from the environment.
#[derive(Clone, Debug)]
pub struct SecuritySettings {
    /// Origins allowed to call the API from a browser (`CORS_ALLOWED_ORIGINS`,
    /// comma-separated `scheme://host[:port]`); empty = CORS closed.
    pub allowed_origins: Vec<HeaderValue>,
    /// Sign-in requests per minute per client and route group
    /// (`SIGN_IN_RATE_PER_MINUTE`, also the burst).
    pub sign_in_per_minute: u32,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            allowed_origins: Vec::new(),
            sign_in_per_minute: 20,
        }
    }
}

impl SecuritySettings {
    /// Reads `CORS_ALLOWED_ORIGINS` and `SIGN_IN_RATE_PER_MINUTE`.
    pub fn from_env() -> anyhow::Result<Self> {
        let mut settings = Self::default();
        if let Ok(v) = std::env::var("CORS_ALLOWED_ORIGINS") {
            settings.allowed_origins = parse_origins(&v)?;
        }
        if let Ok(v) = std::env::var("SIGN_IN_RATE_PER_MINUTE") {
            settings.sign_in_per_minute = v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| anyhow::anyhow!("SIGN_IN_RATE_PER_MINUTE must be 1..=10000"))?;
        }
        Ok(settings)
    }
}

/// Parses a comma-separated origin list; `*` is refused (name the origins).
pub fn parse_origins(list: &str) -> anyhow::Result<Vec<HeaderValue>> {
    list.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| {
            let rest = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"));
            let valid = rest.is_some_and(|host| {
                !host.is_empty()
                    && !host.contains(['/', '?', '#', '*', ' '])
                    && host.is_ascii()
            });
            anyhow::ensure!(
                valid,
                "CORS_ALLOWED_ORIGINS: {o:?} is not an origin (scheme://host[:port], no path, no wildcard)"
            );
            HeaderValue::from_str(o).map_err(|e| anyhow::anyhow!("CORS_ALLOWED_ORIGINS: {o:?}: {e}"))
        })
        .collect()
}

/// The CORS layer when origins are allowed; `None` keeps CORS closed (no
/// `Access-Control-*` header on any answer, preflights included).
pub fn cors(settings: &SecuritySettings) -> Option<CorsLayer> {
    if settings.allowed_origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(settings.allowed_origins.clone()))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_NONE_MATCH,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                header::RETRY_AFTER,
                header::ETAG,
                header::LOCATION,
                HeaderName::from_static("x-request-id"),
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// Adds the security headers to every response (unless a handler chose its
/// own value).
pub async fn headers(request: Request, next: Next) -> Response {
    let docs = request.uri().path().starts_with("/docs");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let defaults = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            if docs { CSP_DOCS } else { CSP },
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in defaults {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    // API answers carry customer data: no browser or shared cache keeps
    // them (ETags still let clients revalidate what they hold themselves).
    if !docs {
        h.entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    response
}

/// 431 when the headers are too large, 414 when the URI is; checked before
/// any handler or guard runs.
pub async fn header_limits(request: Request, next: Next) -> Response {
    let uri_len = request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return Problem::new(
            StatusCode::URI_TOO_LONG,
            "uri-too-long",
            "URI too long",
            format!("the path and query may be at most {MAX_URI_BYTES} bytes"),
        )
        .into_response();
    }
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len())
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return Problem::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers-too-large",
            "Request headers too large",
            format!("headers may be at most {MAX_HEADER_BYTES} bytes in all"),
        )
        .into_response();
    }
    next.run(request).await
}

/// A token bucket per client IP: `per_minute` requests, refilled evenly.
pub struct SignInLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets kept before full (idle) ones are dropped.
const MAX_TRACKED_CLIENTS: usize = 100_000;

impl SignInLimiter {
    /// A limiter admitting `per_minute` requests per client (also the burst).
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: per_minute.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `client`, or says how long until one is free.
    pub fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        // A poisoned lock only means another request panicked mid-update;
        // the buckets are still usable numbers.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED_CLIENTS {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * per_second < capacity
            });
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let refilled = bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * per_second;
        bucket.tokens = refilled.min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

/// The sign-in limiters, one per route group.
pub struct SignInLimits {
    /// `POST /v1/auth/login`.
    pub login: SignInLimiter,
    /// `POST /v1/auth/otp/request` and `/verify`.
    pub otp: SignInLimiter,
}

impl SignInLimits {
    /// Limiters at the settings' rate.
    pub fn new(settings: &SecuritySettings) -> Self {
        Self {
            login: SignInLimiter::new(settings.sign_in_per_minute),
            otp: SignInLimiter::new(settings.sign_in_per_minute),
        }
    }
}

/// Which sign-in group a route belongs to.
#[derive(Clone, Copy, Debug)]
pub enum SignInRoute {
    /// Staff password login.
    Login,
    /// Customer one-time codes.
    Otp,
}

/// Route layer: 429 problem with `Retry-After` once the client's bucket is
/// empty. Without connection info (an app served without it) every request
/// shares one bucket, which fails closed rather than open.
pub async fn limit_sign_in(
    State((limits, route)): State<(Arc<SignInLimits>, SignInRoute)>,
    request: Request,
    next: Next,
) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let limiter = match route {
        SignInRoute::Login => &limits.login,
        SignInRoute::Otp => &limits.otp,
    };
    match limiter.take(client, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            tracing::warn!(%client, route = ?route, "sign-in rate limit reached");
            let secs = u32::try_from(wait.as_secs() + 1).unwrap_or(u32::MAX);
            Problem {
                retry_after: Some(secs),
                ..Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-requests",
                    "Too many requests",
                    format!("too many sign-in attempts from this client; retry in {secs} s"),
                )
            }
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_admits_its_burst_then_refills_evenly() {
        let limiter = SignInLimiter::new(6); // one every 10 s
        let ip: IpAddr = [10, 0, 0, 1].into();
        let t0 = Instant::now();
        for _ in 0..6 {
            assert!(limiter.take(ip, t0).is_ok());
        }
        let wait = limiter.take(ip, t0).expect_err("burst used up");
        assert!((9.9..=10.1).contains(&wait.as_secs_f64()), "{wait:?}");
        assert!(limiter.take([10, 0, 0, 2].into(), t0).is_ok(), "per client");
        assert!(limiter.take(ip, t0 + Duration::from_secs(10)).is_ok());
        assert!(limiter.take(ip, t0 + Duration::from_secs(10)).is_err());
    }

    #[test]
    fn origins_must_be_plain_origins() {
        assert_eq!(
            parse_origins("https://console.bank.example, http://localhost:3000")
                .expect("valid")
                .len(),
            2
        );
        for bad in [
            "*",
            "console.bank.example",
            "https://a.example/path",
            "https://*.a",
        ] {
            assert!(parse_origins(bad).is_err(), "{bad}");
        }
        assert!(parse_origins("").expect("empty").is_empty());
    }
}
