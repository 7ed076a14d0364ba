//! The problem answers most routes share, described once: a route lists
//! `problems::Unauthorized` in its `responses(...)` instead of repeating the
//! status, the wording, the `Problem` body and its content type.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::IntoResponses;

/// One problem response: `status`, `description`, an
/// `application/problem+json` body of the `Problem` schema.
fn problem(status: &str, description: &str) -> BTreeMap<String, RefOr<Response>> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build();
    let response = ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", content)
        .build();
    BTreeMap::from([(status.to_owned(), RefOr::T(response))])
}

macro_rules! problem_response {
    ($(#[$doc:meta])* $name:ident, $status:literal, $description:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                problem($status, $description)
            }
        }
    };
}

problem_response!(
    /// 400: a query parameter is wrong, or the body is not JSON.
    BadRequest,
    "400",
    "Bad query parameter or malformed JSON"
);
problem_response!(
    /// 401: no token, or not a valid one.
    Unauthorized,
    "401",
    "Missing or invalid token"
);
problem_response!(
    /// 403: the token's role may not use the route.
    Forbidden,
    "403",
    "Role not admitted"
);
problem_response!(
    /// 404: no such customer.
    UnknownCustomer,
    "404",
    "Unknown customer"
);
problem_response!(
    /// 409: an id already used for other facts, or a concurrent update.
    Conflict,
    "409",
    "Reused id or concurrent update (safe to retry)"
);
problem_response!(
    /// 422: fields are wrong (every one is named).
    Invalid,
    "422",
    "Invalid field"
);
problem_response!(
    /// 503: the database is unavailable.
    Unavailable,
    "503",
    "Database unavailable (see Retry-After)"
);

/// Every problem a write about one customer can answer with: 400, 401,
/// 403, 404, 409, 422 and 503.
pub struct WriteProblems;

impl IntoResponses for WriteProblems {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        [
            BadRequest::responses(),
            Unauthorized::responses(),
            Forbidden::responses(),
            UnknownCustomer::responses(),
            Conflict::responses(),
            Invalid::responses(),
            Unavailable::responses(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
