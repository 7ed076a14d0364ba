//! Documents the answers the cross-cutting layers give on every route with a
//! JSON body (413 body too large, 415 not JSON), so the spec lists every
//! status the API can send: schemathesis found them undocumented on all 11
//! body-taking operations (`scripts/schemathesis`).

use utoipa::openapi::{OpenApi, RefOr};
use utoipa::Modify;

/// Adds 413 (and 415 where the body must be JSON) problem responses to
/// every operation with a request body, shaped like its own 400 or 422.
pub struct BodyLimitResponses;

impl Modify for BodyLimitResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.post, &mut item.put, &mut item.patch]
                .into_iter()
                .flatten()
            {
                if operation.request_body.is_none() {
                    continue;
                }
                let responses = &mut operation.responses.responses;
                // Routes reading JSON through `StrictJson` document a 400 for
                // malformed JSON and also answer 415; raw-body routes (the
                // signed webhook) only have the size limit.
                let strict_json = responses.contains_key("400");
                let Some(RefOr::T(template)) = ["400", "422"]
                    .iter()
                    .find_map(|s| responses.get(*s).cloned())
                else {
                    continue;
                };
                let mut added = vec![("413", "Body too large (see the route's limit)")];
                if strict_json {
                    added.push(("415", "Body is not application/json"));
                }
                for (status, description) in added {
                    let mut response = template.clone();
                    response.description = description.to_owned();
                    responses
                        .entry(status.to_owned())
                        .or_insert(RefOr::T(response));
                }
            }
        }
    }
}
