#!/usr/bin/env python3
"""Blind synthetic credit-card portfolio generator no. 3 (standard library only).

Written blind: its author did not read the project's own simulator
(training/src/simulate/), the other blind generators, docs/decision.md,
artifacts/ or any model code. Only the command wire format (README "Bulk
import" / "API so far", the `api` crate's wire parser and the `domain`
command types it deserialises into) was read, so that every line is accepted
by `early-risk import` / `early-risk evaluate`. `evaluate` was run only to
check that no line is refused and that its delinquent count matches the truth
file; no parameter was tuned against the model's figures.

Usage:
    scripts/blind-generator-3.py --customers 2000 --seed 1 --profile steady \
        --out X.ndjson --truth Y.csv

Same arguments -> byte-identical output. The log is one flat JSON command per
line in business-time order over the whole portfolio; each customer's first
line is `register_customer`. Customer ids are G4-000001, G4-000002, ...
The truth CSV has `customer_id,segment,stress_start,first_delinquent,shows`.

Design note (the assumptions of this generator, not of the project)
--------------------------------------------------------------------
Market and money
  * An Indian card book in INR; every amount is in paise (minor units).
    Limits from Rs 30k to Rs 5 lakh. The year simulated is 2025 (UTC
    timestamps; customers live in IST, so card use is 02:00-18:00 UTC).
  * The log is the whole life of each account: 2025 is the vintage. About
    three quarters of the accounts open in January, the rest through
    August; there is no carried-in balance. Events after 2025-12-31 are
    not written.
  * Billing: a per-customer statement day (1st-27th). The cycle ending on
    the statement day of month M+1 is labelled period M (so `issued_at` is
    always after the labelled month closes). The first cycle is long (the
    first statement day at least 15 days after opening). Due date is 18,
    20, 21 or 25 days after the statement. No statement for a cycle with
    no activity and nothing owed.
  * Minimum due (MAD) = 5 % of the principal + 100 % of the cycle's interest,
    fees and GST + any over-limit amount + unpaid earlier minimums (arrears),
    at least Rs 200, at most the closing balance.
  * Interest 3.6 % a month on the daily balance of every cycle that follows
    a statement not paid in full by its due date; cash advances bear
    interest from the day drawn even for full payers. Cash-advance fee
    2.5 % (min Rs 500), late fee by balance slab (Rs 0-1,300) when the
    minimum is still unpaid 3 days after the due date, payment-return fee
    2 % (min Rs 500), joining fee on some cards, 18 % GST on all charges.
    All of these are `fee` transactions on channel `bank`.
  * Payments are allocated to the oldest unpaid minimum first. Days past due
    = days since the due date of the oldest minimum not fully paid. A
    bounced payment (`return_payment`, 2-4 days later) restores what it had
    paid, and costs a fee.
  * Collections system cadence: a days-past-due report at the end of the day
    after every due date with a positive minimum (18:30 UTC = IST
    midnight), then weekly while the account is past due, and one report
    of 0 on the day it becomes current again. So the first 30+ report lands
    between 30 and 36 days past due.
  * The card is blocked (purchases and cash declined) from the first report
    of 60+ DPD until the account is current; the limit is withdrawn
    (`change_credit_limit` to 0) at 90+ DPD. Purchases beyond the
    available limit are declined (not written): balances above the limit
    come only from interest and fees.
  * Some good accounts get a limit increase mid-year. Refunds (same MCC,
    2-21 days later), merchant reversals, posting-error reversals and
    chargebacks (`reverse_transaction`) occur at small rates.
  * Seasonality: summer travel (May), festive season (Sep-Nov, Diwali in
    October), weddings and year end (Nov-Dec).

Population (per customer, random, so counts vary around these shares)
  * healthy ~50 %: transactors, modest revolvers, light users; pay by the due
    date (some by autopay); never past due.
  * noisy ~39 %: never 30+ DPD by construction (they catch up at 12-22 DPD
    at the latest), but look risky on some axis: high-utilisation full
    payers, habitual minimum payers, high-balance revolvers, cash users,
    seasonal spenders, occasional late payers (1-12 days), irregular payment
    days with split payments, a one-off large purchase paid over months,
    dormant cards, a one-off bounced payment re-paid at once, a spend drop
    after moving spend elsewhere. A quarter carry a second trait.
  * stressed ~11 % (steady): a stress onset date and one of these paths
      slow_squeeze  months of spend creep and rising utilisation, a shift to
                    partial then minimum payments, cash advances, payments
                    later and later, sometimes a bounce, then misses
                    (lead 4-8 months);
      income_shock  job loss: spend collapses to essentials, perhaps a burst
                    of cash, one minimum at most, then nothing (1-3 months);
      overextension a spend surge on big-ticket categories to the limit,
                    minimums, then misses (2-4 months);
      silent        no change at all, then payments simply stop;
      bounce_spiral payments start bouncing (insufficient funds), re-tries
                    bounce, then stop;
      medical       a large hospital bill plus pharmacy and cash, minimums,
                    then misses;
      bust_out      a new account (opened Mar-Aug) maxed out within weeks
                    with big-ticket purchases and cash, never paid.
    Each stressed customer either rolls on, cures before 30 DPD (pays the
    arrears at 8-26 DPD) or cures after it (at 35-70 DPD), then pays
    minimums on time. Onsets late in the year have not reached 30 DPD by
    December (`no_delinquency_yet`).
  * downturn: a recession from 2025-07-01. Spend falls ~12 % in H2; about
    8 % of the fragile noisy customers (minimum payers, revolvers, cash
    users, late or irregular payers, big-ticket, high-utilisation) and 0.7-2 %
    of the healthy become stressed (onset July + ~5 weeks, mostly sudden
    paths, tag `recession`); stressed customers with an onset after July
    compress their paths and cure half as often; the fragile noisy who stay
    non-delinquent pay later and more often only the minimum.

Truth
  * stress_start is the first day the stress path changes behaviour (for
    `silent`, the statement whose payment is skipped); empty when not
    stressed. first_delinquent is the `as_of` of the first report >= 30,
    taken from the written log. `shows` joins the persona, the path and what
    the customer actually exhibited (high_util, over_limit, min_pay,
    cash_advance, bounced_payment, late_pay, spend_surge, spend_drop,
    blocked, limit_withdrawn, cure_before_30, cure_after_30, ...).
"""

import argparse
import csv
import json
import math
import random
import sys
from datetime import date, timedelta

YEAR = 2025
START = date(YEAR, 1, 1)
NDAYS = 365
ISO = [(START + timedelta(days=i)).isoformat() for i in range(NDAYS)]
MONTH = [(START + timedelta(days=i)).month for i in range(NDAYS)]
RECESSION_DAY = (date(YEAR, 7, 1) - START).days
CURRENCY = "INR"
RS = 100  # paise per rupee
RATE = 0.036  # monthly interest
GST = 0.18
DPD_SECS = 18 * 3600 + 1800  # 18:30 UTC, IST midnight
BLOCK_DPD = 60
WITHDRAW_DPD = 90

# code: (group, median rupees, sigma, channels, merchants, base weight)
MCC = {
    "5411": ("grocery", 1800, 0.7, ("pos", "contactless", "online"),
             ("BigBasket", "DMart", "Reliance Fresh", "More Supermarket", "Spencer's"), 14),
    "5541": ("fuel", 2000, 0.5, ("pos", "contactless"),
             ("IndianOil", "HPCL", "Bharat Petroleum", "Shell"), 8),
    "5812": ("dining", 1400, 0.7, ("pos", "contactless"),
             ("Barbeque Nation", "Mainland China", "Haldiram's", "Saravana Bhavan"), 6),
    "5814": ("fastfood", 450, 0.6, ("online", "contactless"),
             ("Swiggy", "Zomato", "McDonald's", "Domino's"), 12),
    "5399": ("ecommerce", 1600, 0.9, ("online",),
             ("Amazon", "Flipkart", "Meesho", "Nykaa", "Ajio"), 12),
    "5651": ("apparel", 2600, 0.7, ("pos", "online"),
             ("Myntra", "Westside", "Pantaloons", "Max Fashion", "FabIndia"), 5),
    "5732": ("electronics", 14000, 0.9, ("pos", "online"),
             ("Croma", "Reliance Digital", "Vijay Sales", "Apple Store"), 1.2),
    "4511": ("airline", 7500, 0.6, ("online",),
             ("IndiGo", "Air India", "Akasa Air", "SpiceJet"), 1.2),
    "7011": ("hotel", 6500, 0.7, ("online", "pos"),
             ("Taj Hotels", "OYO", "ITC Hotels", "Lemon Tree"), 0.8),
    "4814": ("telecom", 650, 0.4, ("online",), ("Jio", "Airtel", "Vi"), 4),
    "4900": ("utilities", 2200, 0.6, ("online",),
             ("BESCOM", "Tata Power", "Adani Electricity", "Mahanagar Gas"), 4),
    "5912": ("pharmacy", 650, 0.7, ("pos", "online"),
             ("Apollo Pharmacy", "MedPlus", "PharmEasy", "Netmeds"), 4),
    "8062": ("hospital", 15000, 1.0, ("pos",),
             ("Apollo Hospitals", "Fortis", "Manipal Hospitals", "Max Healthcare"), 0.3),
    "8220": ("education", 30000, 0.7, ("online",),
             ("Amity University", "Manipal Academy", "Unacademy"), 0.2),
    "5944": ("jewellery", 35000, 0.8, ("pos",),
             ("Tanishq", "Malabar Gold", "Kalyan Jewellers", "CaratLane"), 0.3),
    "4121": ("taxi", 320, 0.6, ("online",), ("Uber", "Ola", "Rapido"), 8),
    "7832": ("movies", 750, 0.5, ("online", "pos"), ("PVR INOX", "BookMyShow", "Cinepolis"), 3),
    "6300": ("insurance", 18000, 0.6, ("online",),
             ("LIC", "HDFC Life", "Star Health", "ICICI Lombard"), 0.3),
    "5815": ("digital", 300, 0.7, ("online",), ("Netflix", "Spotify", "Google Play", "Hotstar"), 5),
    "5311": ("department", 2200, 0.7, ("pos",),
             ("Shoppers Stop", "Lifestyle", "Central", "Reliance Trends"), 2),
    "4112": ("rail", 1200, 0.6, ("online",), ("IRCTC",), 2),
    "5200": ("home", 4500, 0.9, ("pos", "online"), ("IKEA", "Pepperfry", "Home Centre"), 1),
}
CODES = sorted(MCC)
ESSENTIAL = ("5411", "5541", "5912", "4814", "4900", "5814")
SURGE = ("5732", "5944", "4511", "7011", "5399", "5200", "5651")
REFUND_P = {"5399": 0.05, "5651": 0.06, "5732": 0.03, "4511": 0.04, "7011": 0.03}
SEASON = {1: 0.95, 2: 0.9, 3: 1.0, 4: 1.0, 5: 1.08, 6: 1.0, 7: 0.95, 8: 1.0,
          9: 1.05, 10: 1.3, 11: 1.15, 12: 1.15}
PERSONAL_SEASON = {"festive": (9, 10, 11), "travel": (5, 6), "wedding": (11, 12)}

FIRST = ("Aarav", "Vivaan", "Aditya", "Arjun", "Sai", "Reyansh", "Krishna", "Ishaan",
         "Rohan", "Karan", "Rahul", "Vikram", "Suresh", "Ramesh", "Manoj", "Anil",
         "Priya", "Ananya", "Diya", "Isha", "Kavya", "Meera", "Pooja", "Sneha",
         "Lakshmi", "Divya", "Neha", "Anjali", "Shreya", "Fatima", "Ayesha", "Imran",
         "Harpreet", "Gurpreet", "Joseph", "Mary", "Farhan", "Nandini", "Tanvi", "Deepak")
LAST = ("Sharma", "Verma", "Iyer", "Nair", "Reddy", "Patel", "Shah", "Gupta", "Singh",
        "Kumar", "Das", "Banerjee", "Mukherjee", "Rao", "Menon", "Pillai", "Khan",
        "Fernandes", "D'Souza", "Joshi", "Kulkarni", "Deshpande", "Chatterjee", "Bose",
        "Agarwal", "Mehta", "Chopra", "Malhotra", "Gill", "Naidu")


def wchoice(rng, items):
    """Weighted choice from [(item, weight), ...]."""
    total = sum(w for _, w in items)
    x = rng.random() * total
    for item, w in items:
        x -= w
        if x < 0:
            return item
    return items[-1][0]


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 20:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    el, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= el:
            return k
        k += 1


def ts(day, secs):
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    return f"{ISO[day]}T{h:02d}:{m:02d}:{s:02d}Z"


def ceil_rs(paise):
    return int(math.ceil(paise / RS)) * RS


def late_fee(closing):
    r = closing / RS
    if r < 500:
        return 0
    for cap, fee in ((5000, 500), (10000, 750), (25000, 950), (50000, 1100)):
        if r <= cap:
            return fee * RS
    return 1300 * RS


HEALTHY = (("transactor", 0.55), ("revolver", 0.30), ("light_user", 0.15))
NOISY = (("high_util_transactor", 0.13), ("min_payer", 0.14), ("revolver_high", 0.11),
         ("cash_user", 0.10), ("seasonal", 0.10), ("occasional_late", 0.11),
         ("irregular_payday", 0.10), ("big_ticket", 0.08), ("dormant", 0.07),
         ("one_off_bounce", 0.04), ("spend_drop", 0.04))
SECOND_TRAITS = ("cash_user", "seasonal", "occasional_late", "irregular_payday")
FRAGILE = ("min_payer", "revolver_high", "cash_user", "occasional_late",
           "irregular_payday", "big_ticket", "high_util_transactor")
STRESS_BASE = (("transactor", 0.25), ("revolver", 0.35), ("min_payer", 0.2),
               ("cash_user", 0.1), ("irregular_payday", 0.1))
PATHS = (("slow_squeeze", 0.28), ("income_shock", 0.20), ("overextension", 0.14),
         ("silent", 0.12), ("bounce_spiral", 0.10), ("medical", 0.08), ("bust_out", 0.08))
RECESSION_PATHS = (("income_shock", 0.45), ("slow_squeeze", 0.25),
                   ("bounce_spiral", 0.15), ("silent", 0.15))
LIMITS = ((30000, 8), (50000, 14), (75000, 14), (100000, 18), (150000, 16),
          (200000, 12), (300000, 10), (500000, 8))


class Statement:
    __slots__ = ("issue", "due", "closing", "mad", "entry", "n")

    def __init__(self, issue, due, closing, mad, entry, n):
        self.issue, self.due, self.closing, self.mad, self.entry, self.n = (
            issue, due, closing, mad, entry, n)


class Account:
    def __init__(self, idx, seed, profile):
        self.idx = idx
        self.cid = f"G4-{idx:06d}"
        self.profile = profile
        ra = random.Random(f"bg3|{seed}|{idx}|attr")
        rd = random.Random(f"bg3|{seed}|{idx}|downturn")
        self.rng = random.Random(f"bg3|{seed}|{idx}|sim")
        self.events = []
        self.seq = 0
        self.tags = []
        self.name = f"{ra.choice(FIRST)} {ra.choice(LAST)}"
        self.phone = f"+9198{(idx * 7919 + seed * 104729) % 10 ** 8:08d}"
        self.limit = wchoice(ra, LIMITS) * RS
        self.open_day = ra.randrange(0, 31) if ra.random() < 0.75 else ra.randrange(31, 243)
        self.open_secs = ra.randrange(10800, 18000)
        self.stmt_dom = ra.choice((1, 3, 5, 7, 10, 12, 15, 18, 20, 22, 25, 27))
        self.grace = wchoice(ra, ((18, 2), (20, 5), (21, 2), (25, 1)))
        self.joining_fee = wchoice(ra, ((0, 6), (499, 2), (999, 1.5), (2999, 0.5))) * RS

        # --- segment and persona ---------------------------------------
        u = ra.random()
        self.stressed = False
        self.path = None
        self.t0 = None
        self.outcome = None
        self.recession = False
        self.traits = set()
        if u < 0.11:
            self.segment = "stressed"
            self.persona = wchoice(ra, STRESS_BASE)
            self.stressed = True
            self.path = wchoice(ra, PATHS)
        elif u < 0.50:
            self.segment = "noisy"
            self.persona = wchoice(ra, NOISY)
            if ra.random() < 0.25:
                t = ra.choice(SECOND_TRAITS)
                if t != self.persona:
                    self.traits.add(t)
        else:
            self.segment = "healthy"
            self.persona = wchoice(ra, HEALTHY)
        self.traits.add(self.persona)
        self.p = self.base_params(ra)
        if self.stressed:
            self.setup_stress(ra, self.path)

        # --- downturn draws (always drawn, applied only in downturn) -----
        conv_u, path_r, delay, out_u = rd.random(), rd.random(), rd.expovariate(1 / 35.0), rd.random()
        sub = random.Random(f"bg3|{seed}|{idx}|dpath")
        self.worse = False
        if profile == "downturn":
            fragile = self.segment == "noisy" and self.persona in FRAGILE
            p_conv = 0.08 if fragile else (
                (0.02 if self.persona == "revolver" else 0.007) if self.segment == "healthy" else 0)
            if conv_u < p_conv:
                self.segment = "stressed"
                self.stressed = True
                self.recession = True
                self.path = wchoice(random.Random(f"bg3|{seed}|{idx}|{path_r}"), RECESSION_PATHS)
                t0 = RECESSION_DAY + int(min(delay, 120))
                self.setup_stress(sub, self.path, t0=max(t0, self.open_day + 45),
                                  outcome_u=out_u, harsh=True)
            elif self.stressed and self.path != "bust_out" and self.t0 >= RECESSION_DAY:
                self.setup_stress(sub, self.path, t0=self.t0, outcome_u=out_u, harsh=True)
            elif fragile:
                self.worse = True

        # --- state --------------------------------------------------------
        self.bal = 0
        self.queue = []  # [due_day, remaining_paise]
        self.stmts = []
        self.by_issue = {}
        self.payments = []  # [day, amount, pid, returned, allocs]
        self.sched = {}
        self.n_txn = self.n_pay = self.n_rev = 0
        self.revolving = False
        self.eod_sum = 0
        self.cash_eod_sum = 0
        self.cycle_cash = 0
        self.cycle_charges = 0
        self.cycle_activity = False
        self.cash_30 = []  # (day, amount)
        self.due_report_days = set()
        self.last_rep_day = -100
        self.last_rep_dpd = 0
        self.max_dpd = 0
        self.first30 = ""
        self.blocked = False
        self.withdrawn = False
        self.cured = False
        self.cure_day = None
        self.dpd_prev = 0
        self.min_payments = 0
        self.stress_min_payments = 0
        self.stress_cash = 0
        self.max_util = 0.0
        self.over_limit = False
        self.bounced = 0
        self.li_day = None
        if (not self.stressed or self.path not in ("bust_out",)) and ra.random() < 0.12:
            self.li_day = ra.randrange(150, 300)
            self.li_mult = ra.choice((1.25, 1.5, 2.0))
        self.build_statement_days()

    # ------------------------------------------------------------------
    def base_params(self, ra):
        per = self.persona
        p = {
            "spend_frac": ra.uniform(0.08, 0.3), "lam": ra.uniform(0.15, 0.45),
            "modes": (("full", 1.0),), "frac_mu": 1.0, "lead_mu": ra.uniform(1, 10),
            "lead_sd": ra.uniform(0.5, 2.5), "autopay": False, "late_prob": 0.0,
            "late_max": 0, "cash_pm": 0.0, "season": None, "split_prob": 0.0,
            "big_day": None, "big_frac": 0.0, "drop_day": None, "bounce_cycle": None,
            "guard": ra.randint(12, 22), "early_load": 0.0,
        }
        if per == "transactor":
            p["autopay"] = ra.random() < 0.3
        elif per == "light_user":
            p.update(spend_frac=ra.uniform(0.02, 0.08), lam=ra.uniform(0.05, 0.15),
                     autopay=ra.random() < 0.2)
        elif per == "revolver":
            p.update(spend_frac=ra.uniform(0.06, 0.18),
                     modes=(("frac", 0.7), ("full", 0.2), ("min", 0.1)),
                     frac_mu=ra.uniform(0.3, 0.7))
        elif per == "high_util_transactor":
            p.update(spend_frac=ra.uniform(0.55, 0.9), lead_mu=ra.uniform(6, 14),
                     lam=ra.uniform(0.3, 0.7), autopay=ra.random() < 0.2)
        elif per == "min_payer":
            p.update(spend_frac=ra.uniform(0.03, 0.08), modes=(("min", 0.85), ("frac", 0.15)),
                     frac_mu=ra.uniform(0.1, 0.2), early_load=ra.uniform(0.3, 0.6),
                     autopay=ra.random() < 0.25, lead_mu=ra.uniform(0, 6))
        elif per == "revolver_high":
            p.update(spend_frac=ra.uniform(0.05, 0.12), modes=(("frac", 0.8), ("min", 0.2)),
                     frac_mu=ra.uniform(0.08, 0.2), early_load=ra.uniform(0.2, 0.5))
        elif per == "cash_user":
            p.update(cash_pm=ra.uniform(0.8, 3.0), spend_frac=ra.uniform(0.05, 0.2),
                     modes=(("full", 0.6), ("frac", 0.4)), frac_mu=ra.uniform(0.3, 0.8))
        elif per == "seasonal":
            p.update(season=ra.choice(("festive", "travel", "wedding")),
                     modes=(("full", 0.5), ("frac", 0.5)), frac_mu=ra.uniform(0.3, 0.6))
        elif per == "occasional_late":
            p.update(late_prob=ra.uniform(0.15, 0.35), late_max=ra.randint(4, 12),
                     modes=(("full", 0.6), ("frac", 0.3), ("min", 0.1)), frac_mu=ra.uniform(0.3, 0.7))
        elif per == "irregular_payday":
            p.update(lead_mu=ra.uniform(3, 10), lead_sd=ra.uniform(4, 8), split_prob=ra.uniform(0.2, 0.5),
                     late_prob=0.1, late_max=4, modes=(("full", 0.6), ("frac", 0.4)),
                     frac_mu=ra.uniform(0.3, 0.8))
        elif per == "big_ticket":
            p.update(big_day=ra.randrange(60, 280), big_frac=ra.uniform(0.35, 0.75),
                     modes=(("full", 1.0),), frac_mu=ra.uniform(0.15, 0.35))
        elif per == "dormant":
            p.update(spend_frac=ra.uniform(0.005, 0.03), lam=ra.uniform(0.005, 0.03))
        elif per == "one_off_bounce":
            p.update(bounce_cycle=ra.randrange(2, 9))
        elif per == "spend_drop":
            p.update(drop_day=ra.randrange(120, 280))
        # secondary traits
        if "cash_user" in self.traits and per != "cash_user":
            p["cash_pm"] = ra.uniform(0.5, 2.0)
        if "seasonal" in self.traits and per != "seasonal":
            p["season"] = ra.choice(("festive", "travel", "wedding"))
        if "occasional_late" in self.traits and per != "occasional_late":
            p["late_prob"], p["late_max"] = ra.uniform(0.1, 0.25), ra.randint(3, 10)
        if "irregular_payday" in self.traits and per != "irregular_payday":
            p["lead_sd"], p["split_prob"] = ra.uniform(4, 7), 0.3
        if self.segment == "healthy":
            p["late_prob"] = 0.0
        # categories
        w = {c: MCC[c][5] * ra.gammavariate(2.0, 0.5) for c in CODES}
        p["cats"] = [(c, w[c]) for c in CODES]
        ebar = sum(w[c] * MCC[c][1] * math.exp(MCC[c][2] ** 2 / 2) for c in CODES) / sum(w.values())
        target = p["spend_frac"] * self.limit / RS
        k = target / (30 * p["lam"] * ebar)
        if k > 3.0:
            p["lam"] *= k / 3.0
            k = 3.0
        elif k < 0.3:
            p["lam"] *= k / 0.3
            k = 0.3
        p["scale"] = k
        return p

    def setup_stress(self, r, path, t0=None, outcome_u=None, harsh=False):
        s = {}
        if path == "bust_out":
            self.open_day = r.randrange(59, 240)
            t0 = self.open_day + r.randint(3, 15)
            s["token_bounce"] = r.random() < 0.3
            self.outcome = "roll"
        else:
            if t0 is None:
                lo = max(self.open_day + 60, 45)
                hi = 230 if path == "slow_squeeze" else 326
                t0 = lo + int((max(hi, lo + 20) - lo) * r.random() ** 1.3)
            ou = r.random() if outcome_u is None else outcome_u
            cb, ca = (0.10, 0.09) if harsh else (0.20, 0.18)
            if path == "medical":
                cb, ca = cb, ca + 0.12
            self.outcome = "cure_before_30" if ou < cb else ("cure_after_30" if ou < cb + ca else "roll")
        squeeze = 0.7 if harsh else 1.0
        s.update(
            L1=int(r.randint(60, 120) * squeeze), L2=int(r.randint(30, 75) * squeeze),
            surge=r.uniform(0.2, 0.6), cash=r.random() < 0.6, bounce=r.random() < 0.35,
            drift=r.random() < 0.7, token=r.random() < 0.25, shock_min=r.random() < 0.5,
            shock_cash=r.random() < 0.5, Ls=r.randint(40, 80), smult=r.uniform(2.5, 4.0),
            med_frac=r.uniform(0.35, 0.7), med_cash=r.random() < 0.6, repay=r.random() < 0.5,
            cure_at=r.randint(8, 26) if self.outcome == "cure_before_30" else r.randint(35, 70),
        )
        self.s = s
        self.t0 = t0
        self.path = path

    def build_statement_days(self):
        self.stmt_days = {}
        for m in range(2, 13):
            d = (date(YEAR, m, self.stmt_dom) - START).days
            if d >= self.open_day + 15:
                self.stmt_days[d] = m - 1  # period month
        if self.stressed and self.path == "silent":
            later = [d for d in sorted(self.stmt_days) if d >= self.t0]
            self.t0 = later[0] if later else self.t0

    # ------------------------------------------------------------------
    def emit(self, day, secs, command, fields):
        obj = {"command": command, "customer_id": self.cid}
        obj.update(fields)
        self.events.append((ts(day, secs), self.idx, self.seq,
                            json.dumps(obj, separators=(",", ":"), ensure_ascii=False)))
        self.seq += 1

    def tag(self, t):
        if t not in self.tags:
            self.tags.append(t)

    def at(self, day, item):
        if day < NDAYS:
            self.sched.setdefault(day, []).append(item)

    def stress_on(self, d):
        return self.stressed and d >= self.t0 and not self.cured

    # --- spending ---------------------------------------------------------
    def spend_mult(self, d):
        p = self.p
        m = SEASON[MONTH[d]]
        if p["season"] and MONTH[d] in PERSONAL_SEASON[p["season"]]:
            m *= 3.0
        if p["drop_day"] is not None and d >= p["drop_day"]:
            m *= 0.25
        if self.profile == "downturn" and d >= RECESSION_DAY:
            m *= 0.88
        if p["early_load"] and d < self.open_day + 60:
            m *= 1 + 10 * p["early_load"]
        cats = None
        if self.cured:
            m *= 0.5
        elif self.stress_on(d):
            s, k = self.s, d - self.t0
            if self.path == "slow_squeeze":
                if k < s["L1"]:
                    m *= 1 + s["surge"] * k / s["L1"]
                elif k < s["L1"] + s["L2"]:
                    m *= 1 + s["surge"]
                else:
                    m *= 0.5
            elif self.path == "income_shock":
                m *= 0.25
                cats = ESSENTIAL
            elif self.path == "overextension":
                if k < s["Ls"]:
                    m *= s["smult"]
                    cats = SURGE
                else:
                    m *= 0.5
            elif self.path == "bounce_spiral":
                m *= 0.85
            elif self.path == "medical":
                m *= 0.7
                if k < 60:
                    cats = ("5912", "5411", "4814", "5814", "8062")
            elif self.path == "bust_out":
                m *= 8.0
                cats = SURGE
        elif self.limit > 0 and self.bal > 0.85 * self.limit:
            m *= 0.4  # people near their limit hold back
        return m, cats

    def cash_rate(self, d):
        r = self.p["cash_pm"] / 30.0
        if self.stress_on(d):
            s, k = self.s, d - self.t0
            if self.path == "slow_squeeze" and s["cash"]:
                if s["L1"] // 2 <= k < s["L1"]:
                    r += 1.5 / 30
                elif s["L1"] <= k < s["L1"] + s["L2"]:
                    r += 3.0 / 30
            elif self.path == "income_shock" and s["shock_cash"] and k < 21:
                r += 2.0 / 21
            elif self.path == "medical" and s["med_cash"] and k < 20:
                r += 2.0 / 20
            elif self.path == "bust_out" and k < 45:
                r += 4.0 / 30
        return r

    def gen_spend(self, d):
        acts = []
        if d <= self.open_day:
            return acts
        rng, p = self.rng, self.p
        mult, cats = self.spend_mult(d)
        n = poisson(rng, p["lam"] * mult)
        choices = p["cats"] if cats is None else [(c, w) for c, w in p["cats"] if c in cats]
        for _ in range(n):
            code = wchoice(rng, choices)
            _, med, sig, chans, names, _ = MCC[code]
            rupees = rng.lognormvariate(math.log(med * p["scale"]), sig)
            amt = max(1000, int(round(rupees * RS)))
            amt = min(amt, int(0.6 * self.limit) if self.limit else amt)
            acts.append((rng.randrange(7200, 64800), 1, ("purchase", code, amt, rng.choice(chans),
                                                       rng.choice(names))))
        if rng.random() < self.cash_rate(d):
            amt = rng.choice((2000, 3000, 5000, 5000, 10000, 10000, 15000, 20000)) * RS
            acts.append((rng.randrange(9000, 55000), 1, ("cash", amt)))
        if p["big_day"] == d:
            amt = int(p["big_frac"] * self.limit)
            code = rng.choice(("5732", "5944", "8220", "4511", "5200"))
            acts.append((rng.randrange(18000, 50000), 1, ("purchase", code, amt, MCC[code][3][0],
                                                         rng.choice(MCC[code][4]))))
        if self.stressed and self.path == "medical" and d == self.t0 and not self.cured:
            total = int(self.s["med_frac"] * self.limit)
            parts = 1 if rng.random() < 0.6 else 2
            for i in range(parts):
                acts.append((20000 + 3600 * i, 1, ("purchase", "8062", total // parts, "pos",
                                                   rng.choice(MCC["8062"][4]))))
        return acts

    def available(self):
        return self.limit - self.bal

    def purchase(self, d, secs, code, amt, chan, name):
        rng = self.rng
        if self.blocked or self.limit <= 0:
            return
        if amt > self.available():
            if rng.random() < 0.3 and amt // 2 <= self.available() and amt // 2 >= 1000:
                amt //= 2
            else:
                return
        self.n_txn += 1
        tid = f"T-{self.cid}-{self.n_txn:05d}"
        self.emit(d, secs, "record_transaction", {
            "transaction_id": tid, "amount_minor": amt, "currency": CURRENCY, "kind": "purchase",
            "merchant_category_code": code, "merchant_name": name, "channel": chan,
            "occurred_at": ts(d, secs)})
        self.bal += amt
        self.cycle_activity = True
        u = rng.random()
        rp = REFUND_P.get(code, 0.004)
        if u < rp:
            part = amt if rng.random() < 0.65 else int(amt * rng.uniform(0.2, 0.7))
            self.at(d + rng.randint(2, 21), (rng.randrange(7200, 64800), 2,
                                             ("refund", code, max(part, 100), chan, name)))
        elif u < rp + 0.004:
            self.at(d + rng.randint(1, 2), (rng.randrange(3600, 64800), 2,
                                            ("reversal", tid, amt, "merchant_reversal")))
        elif u < rp + 0.0055:
            self.at(d + rng.randint(15, 45), (rng.randrange(3600, 64800), 2,
                                              ("reversal", tid, amt, "chargeback")))
        elif u < rp + 0.006:
            self.at(d + rng.randint(1, 5), (rng.randrange(3600, 64800), 2,
                                            ("reversal", tid, amt, "posting_error")))

    def cash(self, d, secs, amt):
        if self.blocked or self.limit <= 0:
            return
        recent = sum(a for day, a in self.cash_30 if day > d - 30)
        fee = max(500 * RS, int(0.025 * amt))
        if amt + fee > self.available() or recent + amt > 0.3 * self.limit:
            return
        self.n_txn += 1
        self.emit(d, secs, "record_transaction", {
            "transaction_id": f"T-{self.cid}-{self.n_txn:05d}", "amount_minor": amt,
            "currency": CURRENCY, "kind": "cash_withdrawal", "merchant_name": "ATM withdrawal",
            "channel": "atm", "occurred_at": ts(d, secs)})
        self.bal += amt
        self.cash_30.append((d, amt))
        self.cycle_cash += amt
        self.cycle_activity = True
        self.tag("cash_advance")
        if self.stress_on(d):
            self.stress_cash += 1
        self.fee(d, secs + 60, fee, "Cash advance fee")

    def fee(self, d, secs, amt, name):
        if amt <= 0:
            return
        self.n_txn += 1
        self.emit(d, secs, "record_transaction", {
            "transaction_id": f"T-{self.cid}-{self.n_txn:05d}", "amount_minor": amt,
            "currency": CURRENCY, "kind": "fee", "merchant_name": name, "channel": "bank",
            "occurred_at": ts(d, secs)})
        self.bal += amt
        self.cycle_charges += amt

    def refund(self, d, secs, code, amt, chan, name):
        self.n_txn += 1
        self.emit(d, secs, "record_transaction", {
            "transaction_id": f"T-{self.cid}-{self.n_txn:05d}", "amount_minor": amt,
            "currency": CURRENCY, "kind": "refund", "merchant_category_code": code,
            "merchant_name": name, "channel": chan, "occurred_at": ts(d, secs)})
        self.bal -= amt
        self.cycle_activity = True
        self.cap_queue()

    def reversal(self, d, secs, tid, amt, reason):
        self.n_rev += 1
        if reason != "merchant_reversal" and self.rng.random() < 0.3:
            amt = max(100, int(amt * self.rng.uniform(0.3, 0.9)))
        self.emit(d, secs, "reverse_transaction", {
            "reversal_id": f"R-{self.cid}-{self.n_rev:04d}", "transaction_id": tid,
            "amount_minor": amt, "reason": reason, "reversed_at": ts(d, secs)})
        self.bal -= amt
        self.cycle_activity = True
        self.cap_queue()

    def cap_queue(self):
        """Credits (refunds, reversals) count against what is owed: no more
        can be due than the balance itself."""
        excess = sum(e[1] for e in self.queue if e[1] > 0) - max(self.bal, 0)
        for e in reversed(self.queue):
            if excess <= 0:
                break
            cut = min(excess, max(e[1], 0))
            e[1] -= cut
            excess -= cut

    # --- statements and payments -----------------------------------------
    def issue_statement(self, d):
        interest = 0
        if self.revolving:
            interest = int(round(RATE / 30 * self.eod_sum))
        else:
            interest = int(round(RATE / 30 * self.cash_eod_sum))
        if not self.stmts and self.joining_fee:
            self.fee(d, 540, self.joining_fee, "Joining fee")
        if interest > 0:
            self.fee(d, 600, interest, "Finance charges")
        charges = self.cycle_charges
        if charges > 0:
            gst = int(round(GST * charges))
            self.fee(d, 660, gst, "IGST on fees and charges")
            charges += gst
        closing = self.bal
        active = self.cycle_activity or charges > 0
        self.eod_sum = self.cash_eod_sum = self.cycle_cash = self.cycle_charges = 0
        self.cycle_activity = False
        if closing <= 0 and not active:
            return
        arrears = sum(e[1] for e in self.queue if e[1] > 0)
        if closing <= 0:
            mad = 0
            for e in self.queue:
                e[1] = 0
        else:
            if arrears > closing:  # refunds brought the balance under the arrears
                excess = arrears - closing
                for e in reversed(self.queue):
                    cut = min(excess, max(e[1], 0))
                    e[1] -= cut
                    excess -= cut
                arrears = closing
            principal = max(0, closing - arrears - charges)
            fresh = ceil_rs(0.05 * principal) + charges + max(0, closing - self.limit)
            mad = min(closing, max(arrears + fresh, 200 * RS))
        fresh = mad - arrears if mad > arrears else 0
        entry = [d + self.grace, fresh]
        if fresh > 0:
            self.queue.append(entry)
        due = d + self.grace
        period = f"{YEAR}-{self.stmt_days[d]:02d}"
        self.emit(d, 1800, "issue_statement", {
            "period": period, "closing_balance_minor": closing, "minimum_due_minor": mad,
            "due_date": (START + timedelta(days=due)).isoformat(), "issued_at": ts(d, 1800)})
        st = Statement(d, due, closing, mad, entry, len(self.stmts))
        self.stmts.append(st)
        if self.limit > 0 and closing > 0:
            self.max_util = max(self.max_util, closing / self.limit)
        if mad > 0:
            self.due_report_days.add(due + 1)
            if due + 3 < NDAYS:
                self.at(due + 3, (64000, 0, ("latecheck", st)))
            self.plan(st)

    def paid_since(self, st, upto=None):
        return sum(p[1] for p in self.payments
                   if not p[3] and p[0] >= st.issue and (upto is None or p[0] <= upto))

    def plan(self, st):
        """Schedules this statement's payments: the persona's habit, bent by stress."""
        rng, p = self.rng, self.p
        s_day, due = st.issue, st.due
        mode = wchoice(rng, p["modes"])
        frac = min(1.0, max(0.05, rng.gauss(p["frac_mu"], 0.08)))
        late_prob = p["late_prob"]
        if self.worse and s_day >= RECESSION_DAY:
            late_prob = min(0.6, late_prob * 1.5 + 0.05)
            if mode in ("full", "frac") and rng.random() < 0.35:
                mode = "min"
        bounce, repay, autopay = False, False, p["autopay"]
        lead = max(0, int(round(rng.gauss(p["lead_mu"], p["lead_sd"]))))
        day = max(s_day + 1, due - lead)
        if rng.random() < late_prob:
            day = due + rng.randint(1, max(1, p["late_max"]))
        if p["bounce_cycle"] == st.n:
            bounce, repay, autopay = True, True, False
        split = rng.random() < p["split_prob"]
        if self.cured:
            mode = "min" if rng.random() < 0.6 else "frac"
            frac = rng.uniform(0.1, 0.3)
            autopay, split = False, False
            day = max(s_day + 1, due - rng.randint(0, 5))
        elif self.stressed and s_day >= self.t0:
            autopay, split = False, False
            c = sum(1 for x in self.stmts if x.issue >= self.t0) - 1
            sv, k = self.s, s_day - self.t0
            path = self.path
            if path == "slow_squeeze":
                if k < sv["L1"]:
                    if c == 0:
                        mode, frac = ("frac", 0.25) if mode == "full" else ("min", frac)
                    else:
                        mode = "min"
                elif k < sv["L1"] + sv["L2"]:
                    mode = "min"
                    kk = sum(1 for x in self.stmts if x.issue >= self.t0 + sv["L1"]) - 1
                    if sv["drift"]:
                        day = due + 1 + 4 * kk + rng.randint(0, 3)
                    if sv["bounce"] and kk == 0:
                        bounce, repay = True, sv["repay"]
                else:
                    mode = "none"
            elif path == "income_shock":
                mode = "min" if (c == 0 and sv["shock_min"]) else "none"
                if mode == "min":
                    day = due + rng.randint(-3, 6)
            elif path == "overextension":
                if k < sv["Ls"]:
                    mode = "min"
                elif sum(1 for x in self.stmts if x.issue >= self.t0 + sv["Ls"]) == 1:
                    mode = "min"
                    if rng.random() < 0.5:
                        day = due + rng.randint(2, 8)
                else:
                    mode = "none"
            elif path == "silent":
                mode = "none"
            elif path == "bounce_spiral":
                if c <= 1:
                    mode, bounce = "min", True
                    repay = c == 0 and sv["repay"]
                else:
                    mode = "none"
            elif path == "medical":
                mode = "min" if c <= 1 else "none"
            elif path == "bust_out":
                if c == 0 and sv["token_bounce"]:
                    mode, frac, bounce = "token", 0.5, True
                else:
                    mode = "none"
            if mode == "none" and sv.get("token") and path != "bust_out" and rng.random() < 0.6:
                mode, frac = "token", rng.uniform(0.15, 0.5)
        if mode == "none":
            return
        if autopay:
            self.at(due, (18000, 0, ("pay", st, mode, frac, False, False)))
            return
        secs = rng.randrange(10800, 57600)
        if split and mode in ("full", "frac"):
            d1 = max(s_day + 1, day - rng.randint(4, 12))
            self.at(d1, (secs, 3, ("pay", st, "part", rng.uniform(0.3, 0.6) * (
                frac if mode == "frac" else 1.0), False, False)))
            day = day + rng.randint(0, 3)
        self.at(day, (rng.randrange(10800, 57600), 3, ("pay", st, mode, frac, bounce, repay)))

    def pay_amount(self, st, mode, frac):
        paid = self.paid_since(st)
        if mode == "full":
            amt = st.closing - paid
        elif mode == "frac":
            amt = max(st.mad - paid, int(round(frac * st.closing / (100 * RS))) * 100 * RS - paid)
        elif mode == "part":
            amt = int(round(frac * st.closing / (100 * RS))) * 100 * RS
        elif mode == "min":
            amt = st.mad - paid
            if amt > 0 and self.rng.random() < 0.5:
                amt = int(math.ceil(amt / (10 * RS))) * 10 * RS
        elif mode == "token":
            amt = int(frac * st.mad / RS) * RS
        elif mode == "arrears":
            amt = sum(e[1] for e in self.queue if e[1] > 0)
        else:
            amt = 0
        return min(amt, max(self.bal, 0))

    def pay(self, d, secs, amt, bounce=False, repay=False, counted_min=False):
        if amt <= 0:
            return
        self.n_pay += 1
        pid = f"P-{self.cid}-{self.n_pay:03d}"
        self.emit(d, secs, "record_payment", {
            "payment_id": pid, "amount_minor": amt, "currency": CURRENCY, "paid_at": ts(d, secs)})
        allocs, left = [], amt
        for e in self.queue:
            if left <= 0:
                break
            if e[1] > 0:
                a = min(left, e[1])
                e[1] -= a
                left -= a
                allocs.append((e, a))
        self.bal -= amt
        self.cycle_activity = True
        rec = [d, amt, pid, False, allocs]
        self.payments.append(rec)
        if counted_min:
            self.min_payments += 1
            if self.stress_on(d):
                self.stress_min_payments += 1
        if bounce:
            rd = d + self.rng.randint(2, 4)
            self.at(rd, (self.rng.randrange(7200, 30000), 0, ("return", rec, repay)))

    def payment_return(self, d, secs, rec, repay):
        rng = self.rng
        reason = "insufficient_funds" if rng.random() < 0.85 else rng.choice(("stopped", "other"))
        self.emit(d, secs, "return_payment", {
            "payment_id": rec[2], "reason": reason, "returned_at": ts(d, secs)})
        rec[3] = True
        self.bal += rec[1]
        for e, a in rec[4]:
            e[1] += a
        self.bounced += 1
        self.tag("bounced_payment")
        self.fee(d, secs + 120, max(500 * RS, int(0.02 * rec[1])), "Payment return charges")
        if repay:
            again = self.stressed and rng.random() < 0.4
            self.at(d + rng.randint(1, 3), (rng.randrange(10800, 57600), 3,
                                            ("repay", rec[1], again)))

    # --- day loop ------------------------------------------------------------
    def dpd(self, d):
        for e in self.queue:
            if e[1] > 0:
                return max(0, d - e[0])
        return 0

    def run(self):
        rng = self.rng
        self.emit(self.open_day, self.open_secs, "register_customer", {
            "name": self.name, "phone": self.phone, "credit_limit_minor": self.limit,
            "currency": CURRENCY, "opened_at": ts(self.open_day, self.open_secs)})
        for d in range(self.open_day, NDAYS):
            if d in self.stmt_days:
                self.issue_statement(d)
            acts = self.sched.pop(d, [])
            acts.extend(self.gen_spend(d))
            # catch-up payments: a stressed cure, or a noisy customer's guard
            if self.dpd_prev > 0:
                if self.stressed and not self.cured and self.outcome != "roll" \
                        and d >= self.t0 and self.dpd_prev >= self.s["cure_at"]:
                    acts.append((rng.randrange(10800, 57600), 4, ("cure",)))
                elif not self.stressed and self.dpd_prev >= self.p["guard"]:
                    acts.append((rng.randrange(10800, 57600), 4, ("guard",)))
            if self.li_day == d and not self.blocked and self.dpd_prev == 0 \
                    and not (self.stressed and d >= self.t0):
                new = int(self.limit * self.li_mult / (5000 * RS)) * 5000 * RS
                if new > self.limit:
                    self.limit = new
                    self.emit(d, 21600, "change_credit_limit", {
                        "credit_limit_minor": new, "effective_at": ts(d, 21600)})
                    self.tag("limit_increase")
            acts.sort(key=lambda a: (a[0], a[1]))
            for secs, _, a in acts:
                kind = a[0]
                if kind == "purchase":
                    self.purchase(d, secs, *a[1:])
                elif kind == "cash":
                    self.cash(d, secs, a[1])
                elif kind == "refund":
                    self.refund(d, secs, *a[1:])
                elif kind == "reversal":
                    self.reversal(d, secs, *a[1:])
                elif kind == "pay":
                    _, st, mode, frac, bounce, repay = a
                    self.pay(d, secs, self.pay_amount(st, mode, frac), bounce, repay,
                             counted_min=(mode == "min"))
                elif kind == "return":
                    self.payment_return(d, secs, a[1], a[2])
                elif kind == "repay":
                    self.pay(d, secs, min(a[1], max(self.bal, 0)), bounce=a[2], repay=False)
                elif kind == "latecheck":
                    st = a[1]
                    if st.entry[1] > 0:
                        self.fee(d, secs, late_fee(st.closing), "Late payment fee")
                elif kind in ("cure", "guard"):
                    amt = sum(e[1] for e in self.queue if e[1] > 0)
                    if amt > 0:
                        self.pay(d, secs, min(amt, max(self.bal, 0)))
                    if kind == "cure" and not self.cured:
                        self.cured = True
                        self.cure_day = d
                        self.tag("cure_after_30" if self.max_dpd >= 30 else "cure_before_30")
            self.end_of_day(d)
        return self

    def end_of_day(self, d):
        if self.bal > 0:
            self.eod_sum += self.bal
        self.cash_eod_sum += self.cycle_cash
        if self.limit > 0 and self.bal > self.limit:
            self.over_limit = True
        for st in self.stmts[-2:]:
            if st.due == d:
                self.revolving = self.paid_since(st, d) < st.closing - RS
        dp = self.dpd(d)
        report = d in self.due_report_days or (
            self.last_rep_dpd > 0 and (dp == 0 or d - self.last_rep_day >= 7))
        if report:
            self.emit(d, DPD_SECS, "report_days_past_due", {
                "days_past_due": dp, "as_of": ts(d, DPD_SECS)})
            self.last_rep_day, self.last_rep_dpd = d, dp
            self.max_dpd = max(self.max_dpd, dp)
            if dp > 0:
                self.tag("late_pay")
            if dp >= 30 and not self.first30:
                self.first30 = ts(d, DPD_SECS)
            if dp >= BLOCK_DPD and not self.blocked:
                self.blocked = True
                self.tag("blocked")
            if dp == 0:
                self.blocked = False
            if dp >= WITHDRAW_DPD and not self.withdrawn and self.limit > 0:
                self.withdrawn = True
                self.limit = 0
                self.emit(d, DPD_SECS + 60, "change_credit_limit", {
                    "credit_limit_minor": 0, "effective_at": ts(d, DPD_SECS + 60)})
                self.tag("limit_withdrawn")
        self.dpd_prev = dp

    # --- truth ---------------------------------------------------------------
    def truth(self):
        shows = [self.persona] + sorted(t for t in self.traits if t != self.persona)
        if self.stressed:
            shows.insert(0, self.path)
            if self.recession:
                shows.append("recession")
        if self.worse:
            shows.append("downturn_worse")
        ex = list(self.tags)
        if self.max_util >= 0.8:
            ex.append("high_util")
        if self.over_limit:
            ex.append("over_limit")
        if self.min_payments >= 3 or self.stress_min_payments >= 1:
            ex.append("min_pay")
        if self.stressed and self.path in ("overextension", "bust_out") or \
                (self.stressed and self.path == "slow_squeeze" and self.t0 < NDAYS):
            ex.append("spend_surge")
        if (self.stressed and self.path == "income_shock") or self.persona == "spend_drop":
            ex.append("spend_drop")
        if self.stressed and self.path == "medical":
            ex.append("one_off_large")
        if self.stressed and not self.first30 and not self.cured:
            ex.append("no_delinquency_yet")
        for t in ex:
            if t not in shows:
                shows.append(t)
        stress_start = ISO[self.t0] if self.stressed and self.t0 < NDAYS else ""
        return [self.cid, self.segment, stress_start, self.first30, "+".join(shows)]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Blind synthetic card portfolio generator no. 3")
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", choices=("steady", "downturn"), default="steady")
    ap.add_argument("--out", required=True)
    ap.add_argument("--truth", required=True)
    args = ap.parse_args(argv)
    events, rows = [], []
    for i in range(1, args.customers + 1):
        acc = Account(i, args.seed, args.profile).run()
        events.extend(acc.events)
        rows.append(acc.truth())
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for e in events:
            f.write(e[3])
            f.write("\n")
    with open(args.truth, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["customer_id", "segment", "stress_start", "first_delinquent", "shows"])
        w.writerows(rows)
    counts = {}
    for r in rows:
        counts[r[1]] = counts.get(r[1], 0) + 1
    d30 = sum(1 for r in rows if r[3])
    print(f"{len(events)} lines, {len(rows)} customers {counts}, 30+ DPD: {d30}", file=sys.stderr)


if __name__ == "__main__":
    main()
