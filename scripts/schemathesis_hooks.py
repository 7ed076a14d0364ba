"""Schemathesis hooks for scripts/schemathesis.

The API refuses facts dated before the customer's account opened or more
than MAX_FUTURE_SKEW in the future. JSON Schema cannot say either (both
depend on the account and on the clock), and a generator drawing from the
whole `date-time` range (years 0001-9999) almost never lands between the
two, so every generated fact would be refused and the handlers' logic never
reached. These strategies draw moments and days in the window the demo
portfolio and the fuzzer's own customers live in: 2026-01-02 until an hour
ago. Everything else about the values still comes from the description.
"""

import re
from datetime import date, datetime, timedelta, timezone

import schemathesis
from hypothesis import strategies as st

_START = datetime(2026, 1, 2, tzinfo=timezone.utc)
_END = datetime.now(timezone.utc) - timedelta(hours=1)

_moments = st.datetimes(
    min_value=_START.replace(tzinfo=None), max_value=_END.replace(tzinfo=None)
).map(lambda d: d.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ"))
_days = st.dates(min_value=_START.date(), max_value=_END.date()).map(date.isoformat)

schemathesis.openapi.format("date-time", _moments)
schemathesis.openapi.format("date", _days)


_CURRENCY = re.compile(r"[A-Z]{3}")


_fresh = iter(range(1, 10**9))


def _own_id(item, field):
    if isinstance(item, dict) and isinstance(item.get(field), str):
        if re.fullmatch(r"[A-Za-z0-9_.:\-]{1,54}", item[field]):
            item[field] = f"{item[field]}-F{next(_fresh)}"
    return item


def _account_currency(item):
    _own_id(item, "transaction_id")
    _own_id(item, "payment_id")
    if isinstance(item, dict) and isinstance(item.get("currency"), str):
        if _CURRENCY.fullmatch(item["currency"]):
            item["currency"] = "INR"
    if isinstance(item, dict) and item.get("kind") in ("purchase", "refund"):
        if item.get("merchant_category_code") is None:
            item["merchant_category_code"] = "5411"
    return item


@schemathesis.hook("map_body").apply_to(path_regex=r"/(payments|transactions)$")
def account_currency(ctx, body):
    return _account_currency(body)


@schemathesis.hook("map_body").apply_to(path_regex=r"/v1/transactions:batch$")
def batch_currency(ctx, body):
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        body["items"] = [_account_currency(item) for item in body["items"]]
    return body


def _moment(text):
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


@schemathesis.hook("map_body").apply_to(method="POST", path_regex=r"/v1/customers/[^/]+/statements$")
def statement_in_order(ctx, body):
    if not isinstance(body, dict):
        return body
    issued = _moment(body.get("issued_at"))
    if issued is not None and isinstance(body.get("period"), str):
        first = issued.replace(day=1)
        before = first - timedelta(days=1)
        body["period"] = f"{before.year:04d}-{before.month:02d}"
    if issued is not None and isinstance(body.get("due_date"), str):
        try:
            if date.fromisoformat(body["due_date"]) < issued.date():
                body["due_date"] = issued.date().isoformat()
        except ValueError:
            pass
    closing, minimum = body.get("closing_balance_minor"), body.get("minimum_due_minor")
    if isinstance(closing, int) and isinstance(minimum, int) and minimum > max(closing, 0):
        body["minimum_due_minor"] = max(closing, 0)
    return body


@schemathesis.hook("map_query").apply_to(path_regex=r"/v1/audit/customers/[^/]+/state$")
def one_cutoff(ctx, query):
    if isinstance(query, dict) and "position" in query:
        if "as_of" in query:
            del query["position"]
        elif query.get("time") == "business":
            del query["time"]
    return query



@schemathesis.hook("map_body").apply_to(method="POST", path_regex=r"/v1/customers$")
def fresh_customer(ctx, body):
    return _own_id(body, "customer_id")
