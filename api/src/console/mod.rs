//! The web console: static pages, plain JavaScript ES modules and CSS,
//! compiled into the binary and served at `/` (the page) and `/console/…`
//! (its assets). Every figure on screen comes from the REST API with the
//! bearer token the login returns, so these routes are public and hold no
//! data: there is nothing here to authorise.
//!
//! No build step, no inline scripts or styles: everything is a file from
//! this origin, so the pages work under `Content-Security-Policy:
//! default-src 'self'`.
//!
//! # Layout
//! - `assets/index.html` — the one page; the hash (`#/portfolio`) picks the view.
//! - `assets/*.js` — the app shell, API client, DOM helpers, SVG charts and
//!   one module per view (`page-*.js`).
//! - `assets/console.css` — the styles.
//!
//! Assets are answered with a strong `ETag` (sha256 of the bytes) and
//! `Cache-Control: no-cache`: the browser keeps them and revalidates with a
//! cheap 304, so a new binary is never hidden behind a stale cache.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

use crate::http::state::AppState;
use crate::problem::Problem;

/// One file of the console.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $ty:expr) => {
        Asset {
            name: $name,
            content_type: $ty,
            body: include_bytes!(concat!("assets/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file, served at `/console/<name>` (the page also at `/`).
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("console.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("charts.js", JS),
    asset!("page-login.js", JS),
    asset!("page-portfolio.js", JS),
    asset!("page-customers.js", JS),
    asset!("page-customer.js", JS),
    asset!("page-audit.js", JS),
    asset!("page-me.js", JS),
];

/// Total bytes of the console's assets (reported by the browser tests).
pub fn total_size() -> usize {
    ASSETS.iter().map(|a| a.body.len()).sum()
}

/// The assets' names, for tests that fetch every one.
pub fn asset_names() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.name)
}

/// ETags, computed once on first use (a few dozen KiB to hash).
fn etags() -> &'static [String] {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| format!("\"{}\"", hex::encode(&Sha256::digest(a.body)[..12])))
            .collect()
    })
}

fn serve(name: &str, headers: &HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        return Problem::not_found(format!("no console file {name}")).into_response();
    };
    let asset = &ASSETS[i];
    let tag = &etags()[i];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )],
            asset.body,
        )
            .into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(tag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn page(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

async fn file(Path(name): Path<String>, headers: HeaderMap) -> Response {
    serve(&name, &headers)
}

/// The console's routes (public; see the module docs).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route("/console/{name}", get(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_served_with_its_type_and_revalidates() {
        for a in ASSETS {
            let r = serve(a.name, &HeaderMap::new());
            assert_eq!(r.status(), StatusCode::OK, "{}", a.name);
            assert_eq!(r.headers()[header::CONTENT_TYPE], a.content_type);
            let tag = r.headers()[header::ETAG].clone();
            let mut again = HeaderMap::new();
            again.insert(header::IF_NONE_MATCH, tag);
            assert_eq!(
                serve(a.name, &again).status(),
                StatusCode::NOT_MODIFIED,
                "{}",
                a.name
            );
        }
        assert_eq!(
            serve("nope.js", &HeaderMap::new()).status(),
            StatusCode::NOT_FOUND
        );
    }

    /// The Content-Security-Policy (`default-src 'self'`) refuses inline
    /// scripts and styles; keep them out of the page and the modules.
    #[test]
    fn nothing_inline_that_a_self_only_policy_would_block() {
        for a in ASSETS {
            let text = String::from_utf8_lossy(a.body);
            for banned in ["<style", " style=", "javascript:", "onclick=", "onload="] {
                assert!(!text.contains(banned), "{} contains {banned}", a.name);
            }
            // No CDN or other origin; the SVG namespace is a name, not a fetch.
            let external = text
                .match_indices("://")
                .filter(|(i, _)| !text[*i..].starts_with("://www.w3.org/"))
                .count();
            assert_eq!(external, 0, "{} names another origin", a.name);
            if a.name.ends_with(".html") {
                for line in text.lines().filter(|l| l.contains("<script")) {
                    assert!(
                        line.contains(" src=\"/console/"),
                        "inline script in {}: {line}",
                        a.name
                    );
                }
            }
        }
    }
}
