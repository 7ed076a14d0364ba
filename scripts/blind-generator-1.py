#!/usr/bin/env python3
"""An independent synthetic credit-card portfolio generator (stdlib only),
written without reading the project's own simulator (training/src/simulate),
so that a model trained on ours is measured on behaviour it was not built
around (docs/decision.md, "blind generators").

Writes NDJSON commands in the early-risk importer's shape (one customer after
another, each customer's lines in time order) and, optionally, a truth CSV.

    scripts/blind-generator-1.py --customers 2000 --seed 1 --profile mild \
        --out g2-mild-1.ndjson --truth g2-mild-1.truth.csv

Money model (all integer paise):
  * every transaction / fee / payment / returned payment moves one running
    balance; a statement's closing balance is that balance at 00:00 UTC on the
    1st of the next month, so closing = previous closing + purchases + cash +
    fees (finance charges, late fees, cash-advance fees) - refunds - payments
    + returned payments.
  * minimum due = interest and fees charged in the period + 2.5 % of the rest,
    floor Rs 250 (the whole balance when smaller), plus any minimum still unpaid
    from earlier statements, capped at the closing balance.
  * finance charge 3.6 %/month on what was left of the previous statement after
    its due date (only when it was not paid in full); late fee by balance tier
    the day after a missed minimum; cash-advance fee 2.5 % (min Rs 300).
  * days past due = days since the due date of the oldest statement whose
    minimum is still unpaid (more than Rs 100 short); payments clear the oldest
    minimum first; a returned payment re-opens what it cleared. Reported every
    day at 06:00 UTC while > 0, plus one 0 report on the first morning after a
    cure. Cards are blocked (purchases/cash declined) from 30 days past due;
    anything that would take the balance over the limit is declined.
"""
import argparse
import csv
import datetime as dt
import heapq
import json
import math
import random
import sys

EPOCH0 = int(dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc).timestamp())
DAY = 86400
IST = 19800  # UTC+05:30
R = 100  # paise per rupee
TOL = 100 * R  # shortfall ignored for days past due
RATE = 0.036
MAX_PAY_DAY = 365
SHOCKS = ("shock", "medical", "abandon")  # payments/dpd only inside 2025 (day index 0..364)

# month m: 0 = Jan 2025 .. 11 = Dec 2025, 12 = Jan 2026, -1 = Dec 2024
def _ms(m):
    y, mm = 2025 + (m // 12), (m % 12) + 1
    return (dt.date(y, mm, 1) - dt.date(2025, 1, 1)).days
MONTH_DAY = {m: _ms(m) for m in range(-1, 14)}
def month_len(m):
    return MONTH_DAY[m + 1] - MONTH_DAY[m]
def period_name(m):
    y, mm = 2025 + (m // 12), (m % 12) + 1
    return "%04d-%02d" % (y, mm)
def day_date(d):
    return dt.date(2025, 1, 1) + dt.timedelta(days=d)
def month_of_day(d):
    dd = day_date(d)
    return (dd.year - 2025) * 12 + dd.month - 1

_TS_CACHE = {}
def fmt(ts):
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

def rup(x, step):
    x = int(math.ceil(x))
    return ((x + step - 1) // step) * step
def rdown(x, step):
    return (int(x) // step) * step

# ---------------------------------------------------------------- catalogue
# category: (merchants [(mcc, name, channels)], median rupees, sigma, hours, essential)
CATS = {
    "grocery": ([("5411", "BigBasket", ("online",)), ("5411", "DMart", ("pos", "contactless")),
                 ("5411", "Reliance Smart", ("pos", "contactless")), ("5411", "More Supermarket", ("pos",)),
                 ("5411", "Blinkit", ("online",)), ("5411", "Zepto", ("online",)),
                 ("5499", "Nature's Basket", ("contactless",))], 1300, 0.65, "day", True),
    "food": ([("5812", "Swiggy", ("online",)), ("5812", "Zomato", ("online",)),
              ("5814", "McDonald's", ("contactless", "pos")), ("5814", "Domino's", ("online", "contactless")),
              ("5812", "Barbeque Nation", ("pos",)), ("5814", "Chaayos", ("contactless",))], 520, 0.6, "meal", False),
    "fuel": ([("5541", "Indian Oil", ("pos", "contactless")), ("5541", "HP Petrol", ("pos",)),
              ("5541", "Bharat Petroleum", ("pos", "contactless")), ("5542", "Shell", ("pos",))], 2100, 0.45, "commute", True),
    "ecom": ([("5399", "Flipkart", ("online",)), ("5999", "Amazon", ("online",)), ("5651", "Myntra", ("online",)),
              ("5977", "Nykaa", ("online",)), ("5999", "Meesho", ("online",)), ("5651", "Ajio", ("online",))], 1250, 0.9, "night", False),
    "cab": ([("4121", "Uber", ("online",)), ("4121", "Ola", ("online",)), ("4121", "Rapido", ("online",))], 300, 0.55, "commute", False),
    "pharmacy": ([("5912", "Apollo Pharmacy", ("pos", "contactless")), ("5912", "MedPlus", ("pos",)),
                  ("5912", "PharmEasy", ("online",)), ("5912", "Tata 1mg", ("online",))], 600, 0.7, "day", True),
    "clothing": ([("5651", "Pantaloons", ("pos",)), ("5651", "Westside", ("pos", "contactless")),
                  ("5611", "Raymond", ("pos",)), ("5651", "Lifestyle", ("pos",)), ("5661", "Bata", ("pos",))], 2400, 0.6, "day", False),
    "entertain": ([("7832", "PVR INOX", ("online", "pos")), ("7922", "BookMyShow", ("online",)),
                   ("7996", "Wonderla", ("pos",))], 700, 0.5, "evening", False),
    "travel": ([("4511", "IndiGo", ("online",)), ("4511", "Air India", ("online",)), ("4112", "IRCTC", ("online",)),
                ("4722", "MakeMyTrip", ("online",)), ("7011", "OYO", ("online",)), ("7011", "Taj Hotels", ("pos",))], 5200, 0.8, "night", False),
    "electronics": ([("5732", "Croma", ("pos", "online")), ("5732", "Reliance Digital", ("pos",)),
                     ("5732", "Vijay Sales", ("pos",)), ("5732", "Apple Store", ("online", "pos"))], 9000, 0.8, "day", False),
    "home": ([("5712", "IKEA", ("pos", "online")), ("5712", "Pepperfry", ("online",)), ("5200", "Home Centre", ("pos",))], 5500, 0.8, "day", False),
    "health": ([("8062", "Apollo Hospitals", ("pos",)), ("8062", "Fortis Healthcare", ("pos",)),
                ("8011", "Practo", ("online",)), ("8071", "Dr Lal PathLabs", ("pos", "online"))], 2200, 0.9, "day", True),
    "jewellery": ([("5944", "Tanishq", ("pos",)), ("5944", "Kalyan Jewellers", ("pos",)), ("5944", "Malabar Gold", ("pos",))], 30000, 0.6, "day", False),
    "wallet": ([("6540", "Paytm Wallet", ("online",)), ("6540", "Amazon Pay Balance", ("online",)), ("6540", "MobiKwik", ("online",))], 4000, 0.5, "night", False),
    "gaming": ([("7995", "Dream11", ("online",)), ("7995", "MPL", ("online",)), ("7995", "My11Circle", ("online",))], 600, 0.8, "night", False),
}
BASE_W = {"grocery": 18, "food": 16, "fuel": 9, "ecom": 14, "cab": 8, "pharmacy": 4, "clothing": 4,
          "entertain": 3, "travel": 2.5, "electronics": 0.8, "home": 0.6, "health": 1.2}
ESSENTIAL = [c for c, v in CATS.items() if v[4]]
HOURS = {
    "day": [(9, 13, 3), (13, 17, 2), (17, 21, 4)],
    "meal": [(12, 15, 4), (19, 23, 6)],
    "commute": [(7, 10, 4), (10, 17, 2), (17, 21, 4)],
    "night": [(8, 12, 2), (12, 19, 3), (19, 24, 5), (0, 2, 1)],
    "evening": [(15, 19, 3), (19, 23, 5)],
}
ELEC = ["Tata Power", "BESCOM Electricity", "MSEDCL", "Adani Electricity", "TNEB"]
MOBILE = ["Jio", "Airtel", "Vi"]
STREAM = ["Netflix", "Spotify", "Disney+ Hotstar", "YouTube Premium", "Amazon Prime"]
INSUR = ["LIC", "HDFC Life", "Star Health", "ICICI Lombard"]
FIRST = ["Aarav", "Vivaan", "Aditya", "Arjun", "Sai", "Rohan", "Karan", "Rahul", "Vikram", "Suresh", "Ramesh",
         "Anil", "Deepak", "Imran", "Faisal", "Harpreet", "Gurpreet", "Joseph", "Thomas", "Venkat", "Prakash",
         "Ananya", "Diya", "Priya", "Sneha", "Pooja", "Kavya", "Meera", "Lakshmi", "Divya", "Nisha", "Ayesha",
         "Fatima", "Simran", "Neha", "Shreya", "Revathi", "Swati", "Anjali", "Bhavna", "Manoj", "Naveen"]
LAST = ["Sharma", "Verma", "Patel", "Reddy", "Iyer", "Nair", "Menon", "Gupta", "Agarwal", "Khan", "Singh",
        "Gill", "Das", "Banerjee", "Chatterjee", "Mukherjee", "Rao", "Naidu", "Pillai", "Joshi", "Kulkarni",
        "Deshpande", "Shah", "Mehta", "D'Souza", "Fernandes", "Bhat", "Hegde", "Yadav", "Mishra", "Saxena"]

SEASON = [1.0, 0.93, 1.02, 0.97, 1.05, 0.98, 0.92, 1.0, 1.08, 1.30, 1.12, 1.18]

# ---------------------------------------------------------------- persona mix
# (persona, segment, weight %)
MIX = {
    "mild": [
        ("transactor", "healthy", 27), ("revolver", "healthy", 14), ("min_payer", "healthy", 3),
        ("seasonal", "healthy", 7), ("big_ticket", "healthy", 6), ("cash_habit", "healthy", 4),
        ("dormant", "healthy", 5),
        ("late_curer", "noisy", 8), ("bounce_recover", "noisy", 3), ("volatile", "noisy", 5),
        ("temp_stress", "noisy", 5),
        ("slow_burn", "stressed", 2.3), ("cash_spiral", "stressed", 1.4), ("juggler", "stressed", 1.1),
        ("spend_drop", "stressed", 1.1), ("surge", "stressed", 0.5), ("shock", "stressed", 1.6),
        ("medical", "stressed", 0.5), ("revolver_slide", "stressed", 1.0), ("abandon", "stressed", 0.4),
    ],
    "severe": [
        ("transactor", "healthy", 23.2), ("revolver", "healthy", 13), ("min_payer", "healthy", 4),
        ("seasonal", "healthy", 6), ("big_ticket", "healthy", 5), ("cash_habit", "healthy", 5),
        ("dormant", "healthy", 4),
        ("late_curer", "noisy", 9.5), ("bounce_recover", "noisy", 4), ("volatile", "noisy", 6),
        ("temp_stress", "noisy", 7),
        ("slow_burn", "stressed", 2.0), ("cash_spiral", "stressed", 2.2), ("juggler", "stressed", 1.7),
        ("spend_drop", "stressed", 1.1), ("surge", "stressed", 0.8), ("shock", "stressed", 2.9),
        ("medical", "stressed", 0.6), ("revolver_slide", "stressed", 0.9), ("abandon", "stressed", 0.3),
    ],
}
# lead months (stress start -> first missed due) per kind: (lo, hi)
LEAD = {
    "mild": {"slow_burn": (3, 6), "cash_spiral": (2, 5), "juggler": (2, 4), "spend_drop": (2, 5),
             "surge": (1, 2), "revolver_slide": (4, 7)},
    "severe": {"slow_burn": (2, 5), "cash_spiral": (1, 4), "juggler": (1, 3), "spend_drop": (1, 4),
               "surge": (1, 1), "revolver_slide": (3, 6)},
}
CURE_AFTER_30 = {"mild": 0.22, "severe": 0.12}
NEAR_MISS = {"mild": 0.09, "severe": 0.06}


class Customer:
    def __init__(self, idx, rng, profile):
        self.idx = idx
        self.id = "G2-%06d" % idx
        self.rng = rng
        self.profile = profile
        r = rng
        mix = MIX[profile]
        x = r.uniform(0, sum(w for _, _, w in mix))
        for p, seg, w in mix:
            x -= w
            if x <= 0:
                break
        self.persona, self.segment = p, seg
        self.tags = []
        # account terms
        lim = r.lognormvariate(math.log(120000), 0.65)
        lim = max(25000, min(1000000, lim))
        self.limit = rup(lim, 5000) * R
        self.aff = (self.limit / (120000 * R)) ** 0.45  # affluence: scales ticket sizes
        self.due_offset = r.choice([15, 17, 18, 20, 20, 21, 22])
        self.stmt_minute = r.randrange(0, 50)
        self.name = "%s %s" % (r.choice(FIRST), r.choice(LAST))
        w = {c: BASE_W[c] * r.gammavariate(1.5, 1.0) for c in BASE_W}
        if r.random() < 0.3:
            w["fuel"] = 0.2
        self.catw = w
        self.vol = r.uniform(0.12, 0.3)
        # payment habits
        self.base_mode = "full"
        self.pay_frac = 1.0
        self.target_util = 0.0
        self.early = r.choice([0, 1, 2, 3, 5, 7, 10, 12, 15])
        self.autopay = False
        self.split = False
        self.p_late = 0.0
        self.p_bounce = 0.0
        self.cash_n = 0.0
        self.cash_med = 3000
        self.carry0 = 0
        self.spend_frac = r.uniform(0.06, 0.3)
        self.pseason = [1.0] * 12
        self.extras = {}  # month -> list of (cat, rupees)
        self.big = None
        self.stress = None
        self.temp = None
        self.cure_dpd = None
        self.limit_up = None
        self.bills = []
        self._setup()
        self._bills()
        self.base_spend = self.spend_frac * self.limit

    # ------------------------------------------------------------ personas
    def _revolver_like(self, lo=0.35, hi=0.85):
        r = self.rng
        self.base_mode = "target"
        self.target_util = r.uniform(lo, hi)
        self.carry0 = int(self.target_util * self.limit * r.uniform(0.85, 1.05))
        self.spend_frac = r.uniform(0.04, 0.14)
        self.split = r.random() < 0.2

    def _setup(self):
        r = self.rng
        p = self.persona
        if p == "transactor":
            self.autopay = r.random() < 0.35
            if self.limit >= 150000 * R and r.random() < 0.3:
                self.tags.append("rent")
            self.tags.insert(0, "transactor")
        elif p == "revolver":
            self._revolver_like()
            self.tags.append("revolver")
        elif p == "min_payer":
            self.base_mode = "min"
            self.carry0 = int(r.uniform(0.35, 0.75) * self.limit)
            self.spend_frac = r.uniform(0.007, 0.017)
            self.early = r.choice([0, 1, 2, 4])
            self.tags.append("min_payer")
        elif p == "seasonal":
            kind = r.choice(["festive", "festive", "wedding", "travel"])
            if kind == "festive":
                for m, k in ((8, 1.6), (9, r.uniform(3, 5)), (10, r.uniform(1.8, 3)), (11, 1.6)):
                    self.pseason[m] = k
                self.extras.setdefault(9, []).append(("electronics", r.uniform(0.08, 0.2) * self.limit / R))
            elif kind == "wedding":
                ms = r.choice([(0, 1), (10, 11), (1, 2)])
                for m in ms:
                    self.pseason[m] = r.uniform(2, 3.5)
                self.extras.setdefault(ms[0], []).append(("jewellery", r.uniform(0.15, 0.35) * self.limit / R))
            else:
                for m in (4, 5):
                    self.pseason[m] = r.uniform(2, 3.5)
                self.extras.setdefault(4, []).append(("travel", r.uniform(0.1, 0.25) * self.limit / R))
            self.spend_frac = r.uniform(0.04, 0.12)
            if r.random() < 0.4:
                self.base_mode = "fraction"
                self.pay_frac = r.uniform(0.35, 0.6)
            self.tags.append("seasonal_" + kind)
        elif p == "big_ticket":
            m = r.randint(1, 10)
            cat = r.choice(["electronics", "home", "travel", "jewellery", "health"])
            amt = r.uniform(0.25, 0.6) * self.limit / R
            self.extras.setdefault(m, []).append((cat, amt))
            self.big = {"m": m, "n": r.randint(3, 6), "amt": amt * R, "left": 0}
            self.tags.append("big_ticket")
        elif p == "cash_habit":
            self.cash_n = r.uniform(2, 6)
            self.cash_med = r.choice([2000, 3000, 5000, 5000, 8000]) * self.aff
            if r.random() < 0.3:
                self.base_mode = "fraction"
                self.pay_frac = r.uniform(0.7, 0.95)
            self.tags.append("cash_habit")
        elif p == "dormant":
            self.spend_frac = r.uniform(0.003, 0.02)
            self.tags.append("dormant")
        elif p == "late_curer":
            if r.random() < 0.5:
                self._revolver_like(0.2, 0.7)
            self.p_late = r.uniform(0.15, 0.4)
            self.tags.append("late_curer")
        elif p == "bounce_recover":
            if r.random() < 0.5:
                self._revolver_like(0.2, 0.7)
            self.p_bounce = r.uniform(0.1, 0.25)
            self.tags.append("bounce_recover")
        elif p == "volatile":
            self._revolver_like(0.15, 0.6)
            self.base_mode = "volatile"
            self.vol = r.uniform(0.4, 0.7)
            self.cash_n = r.uniform(0, 1.5)
            self.tags.append("volatile")
        elif p == "temp_stress":
            if r.random() < 0.6:
                self._revolver_like(0.2, 0.6)
            ws = r.randint(1, 8)
            self.temp = {"ws": ws, "we": ws + r.randint(2, 4), "late": r.random() < 0.5,
                         "cash": r.random() < 0.5}
            self.tags.append("temp_stress" + ("+cash" if self.temp["cash"] else ""))
        else:
            self._setup_stressed()
        if self.segment != "stressed" and p not in ("dormant", "min_payer"):
            q = 0.18 if self.segment == "healthy" else 0.05
            if r.random() < q:
                day = r.randint(MONTH_DAY[2], MONTH_DAY[10])
                self.limit_up = (day, rup(self.limit * r.uniform(1.2, 1.8), 5000 * R))
                self.tags.append("limit_up")

    def _setup_stressed(self):
        r = self.rng
        kind = self.persona
        prof = self.profile
        # what they looked like before trouble
        base = r.random()
        if kind == "revolver_slide":
            self._revolver_like(0.6, 0.9)
        elif kind == "abandon":
            if r.random() < 0.4:
                self.spend_frac = r.uniform(0.01, 0.05)
        elif base < 0.4:
            self._revolver_like(0.25, 0.7)
        elif base < 0.55:
            self.base_mode = "fraction"
            self.pay_frac = r.uniform(0.2, 0.5)
            self.carry0 = int(r.uniform(0.1, 0.4) * self.limit)
        if kind in ("shock", "medical", "abandon"):
            wave = prof == "severe" and kind == "shock" and r.random() < 0.6
            ms = r.randint(5, 7) if wave else r.randint(1, 10)
            sday = MONTH_DAY[ms] + r.randrange(month_len(ms))
            miss = ms if (sday - MONTH_DAY[ms]) < self.due_offset - 2 else ms + 1
            extra = 0
            if kind == "shock" and r.random() < 0.35:
                extra = 1
            miss = min(11, miss + extra)
            self.stress = {"kind": kind, "ms": ms, "miss": miss, "sday": sday, "L": miss - ms}
            label = {"shock": "shock", "medical": "medical_shock", "abandon": "abandon"}[kind]
            if kind == "shock" and r.random() < 0.4:
                self.stress["cash"] = True
                label = "shock+cash"
            if kind == "medical":
                self.extras.setdefault(ms, []).append(("health", r.uniform(0.25, 0.6) * self.limit / R))
        else:
            lo, hi = LEAD[prof][kind]
            L = r.randint(lo, hi)
            miss = r.randint(max(1, L), 11)
            ms = miss - L
            self.stress = {"kind": kind, "ms": ms, "miss": miss, "sday": MONTH_DAY[ms], "L": L}
            label = {"slow_burn": "util+min_only", "cash_spiral": "cash+min_only",
                     "juggler": "bounce+partial", "spend_drop": "spend_drop+partial",
                     "surge": "surge", "revolver_slide": "revolver_slide"}[kind]
            if kind == "cash_spiral":
                self.stress["gaming"] = r.random() < 0.35
                self.cash_med = r.choice([3000, 5000, 8000, 10000]) * self.aff
            if kind in ("slow_burn", "cash_spiral", "revolver_slide") and r.random() < 0.2:
                self.stress["cut_m"] = min(miss, ms + max(1, L // 2))
        self.tags.append(label)
        u = r.random()
        if u < NEAR_MISS[prof]:
            self.cure_dpd = r.randint(6, 27)
        elif u < NEAR_MISS[prof] + CURE_AFTER_30[prof]:
            self.cure_dpd = r.randint(35, 110)
        self.spend_frac = min(self.spend_frac, r.uniform(0.05, 0.25)) if self.base_mode == "full" else self.spend_frac

    def _bills(self):
        r = self.rng
        a = self.aff
        if r.random() < 0.75:
            self.bills.append(("elec", r.randint(3, 12), "4900", r.choice(ELEC), "online", r.uniform(900, 3500) * a, None))
        if r.random() < 0.8:
            self.bills.append(("mob", r.randint(1, 28), "4814", r.choice(MOBILE), "online", r.choice([299, 349, 399, 599, 749, 999]), None))
        for s in r.sample(STREAM, r.choice([0, 0, 1, 1, 2, 3])):
            self.bills.append(("str", r.randint(1, 28), "5815", s, "online", r.choice([149, 199, 299, 499, 649]), None))
        if r.random() < 0.25:
            m0 = r.randrange(3)
            self.bills.append(("ins", r.randint(5, 25), "6300", r.choice(INSUR), "online",
                               r.uniform(6000, 20000) * a, {m0, m0 + 3, m0 + 6, m0 + 9}))
        if r.random() < 0.12 and self.limit >= 100000 * R:
            self.bills.append(("school", r.randint(5, 15), "8211", "Delhi Public School", "online",
                               r.uniform(12000, 35000) * a, {0, 3, 6, 9}))
        if r.random() < 0.2:
            self.bills.append(("gym", r.randint(1, 10), "7997", "Cult.fit", "online", r.choice([999, 1499, 2499]), None))
        if "rent" in self.tags:
            self.bills.append(("rent", r.randint(1, 5), "6513", r.choice(["NoBroker RentPay", "CRED RentPay"]), "online",
                               min(0.3 * self.limit / R, r.uniform(12000, 40000) * a), None))

    # ------------------------------------------------------------ phase helpers
    def phase(self, m):
        s = self.stress
        if not s:
            return "none", 0.0
        if m < s["ms"]:
            return "pre", 0.0
        if m < s["miss"]:
            return "warn", (m - s["ms"] + 1) / max(1, s["miss"] - s["ms"])
        return "del", 1.0


class Sim:
    def __init__(self, c):
        self.c = c
        self.r = c.rng
        self.out = []  # (ts, order, dict)
        self.heap = []
        self.seq = 0
        self.balance = 0
        self.limit = c.limit
        self.buckets = []  # [due_day, remaining, stmt_m]
        self.pay_n = 0
        self.tx_n = 0
        self.charges = 0  # interest+fees in current period
        self.closings = {}
        self.stmts = {}  # m(issue month) -> dict
        self.dpd = 0
        self.last_reported = 0
        self.first_del = None
        self.cured = False
        self.blocked = False
        self.payments = {}  # id -> (amount, allocs, stmt_m)
        self.limit_cut = False
        self.max_dpd = 0

    def push(self, ts, kind, data=None, pri=1):
        self.seq += 1
        heapq.heappush(self.heap, (ts, pri, self.seq, kind, data))

    def emit(self, ts, obj):
        obj["customer_id"] = self.c.id
        self.out.append(json.dumps(obj, sort_keys=True, separators=(",", ":")))

    # ------------------------------------------------------------ run
    def run(self):
        c = self.c
        if c.carry0 > 0:
            opened = EPOCH0 - 5 * 3600 - 30 * 60  # 2024-12-31T18:30Z (midnight IST)
        else:
            opened = EPOCH0
        self.opened = opened
        self.emit(opened, {"command": "register_customer", "credit_limit_minor": c.limit, "currency": "INR",
                           "name": c.name, "opened_at": fmt(opened),
                           "phone": "+9188%d%07d" % (c.profile == "severe", c.idx)})
        if c.carry0 > 0:
            self.balance = c.carry0
            self.tx_n += 1
            self.emit(opened + 1, {"command": "record_transaction", "amount_minor": c.carry0, "channel": "bank",
                                   "currency": "INR", "kind": "fee", "merchant_name": "Balance brought forward",
                                   "occurred_at": fmt(opened + 1), "transaction_id": "%s-T%05d" % (c.id, self.tx_n)})
            self.push(EPOCH0, "close", -1, pri=0)
            self.push(EPOCH0 + 2 * 3600 + c.stmt_minute * 60, "stmt", 0)
        for m in range(12):
            self.push(EPOCH0 + MONTH_DAY[m] * DAY - 6 * 3600, "plan", m)
            self.push(EPOCH0 + MONTH_DAY[m + 1] * DAY, "close", m, pri=0)
            self.push(EPOCH0 + MONTH_DAY[m + 1] * DAY + 2 * 3600 + c.stmt_minute * 60, "stmt", m + 1)
            self.push(EPOCH0 + MONTH_DAY[m + 1] * DAY - 1800, "interest", m)
        for d in range(365):
            self.push(EPOCH0 + d * DAY + 6 * 3600, "dpd", d)
        if c.limit_up:
            d, new = c.limit_up
            self.push(EPOCH0 + d * DAY + 4 * 3600 + self.r.randrange(3600), "limit", new)
        while self.heap:
            ts, _, _, kind, data = heapq.heappop(self.heap)
            getattr(self, "on_" + kind)(ts, data)
        return self.out

    # ------------------------------------------------------------ spending
    def local_ts(self, day, hours_key, month):
        r = self.r
        spans = HOURS[hours_key]
        tot = sum(w for _, _, w in spans)
        x = r.uniform(0, tot)
        for a, b, w in spans:
            x -= w
            if x <= 0:
                break
        sec = int(r.uniform(a, b) * 3600)
        if day == 0 and sec < 7 * 3600:
            sec = 7 * 3600 + r.randrange(3600)
        return EPOCH0 + day * DAY + sec - IST

    def rand_day(self, m, lo=0, hi=None):
        n = month_len(m)
        hi = n if hi is None else min(hi, n)
        lo = max(0, min(lo, hi - 1))
        return MONTH_DAY[m] + self.r.randrange(lo, hi)

    def purchase(self, ts, cat, rupees, note=None):
        merchants, _, _, _, _ = CATS[cat]
        mcc, name, chans = self.r.choice(merchants)
        ch = self.r.choice(chans)
        amt = max(1, int(rupees)) * R
        if cat == "fuel":
            amt = int(rupees * R)
        self.push(ts, "tx", ("purchase", amt, mcc, name, ch, cat))

    def on_plan(self, ts, m):
        c, r = self.c, self.r
        ph, t = c.phase(m)
        s = c.stress or {}
        kind = s.get("kind")
        mult = SEASON[m] * c.pseason[m] * r.lognormvariate(0, c.vol)
        if c.limit_up and MONTH_DAY[m] >= c.limit_up[0]:
            mult *= 1.15
        cash_n, cash_med = c.cash_n, c.cash_med
        essentials = False
        wallet_n = gaming_n = 0
        extras = list(c.extras.get(m, []))
        reduce_after = None  # (day, factor)
        if c.temp and c.temp["ws"] <= m < c.temp["we"]:
            mult *= 1.3
            if c.temp["cash"]:
                cash_n += r.uniform(1, 3)
                cash_med = max(cash_med, 3000 * c.aff)
        if kind in SHOCKS and m >= s["ms"]:
            if m == s["ms"]:
                reduce_after = (s["sday"], 0.0 if kind == "abandon" else 0.3)
                if s.get("cash"):
                    cash_n += 2
                    cash_med = max(cash_med, 5000 * c.aff)
            else:
                mult *= 0.0 if kind == "abandon" else 0.3
                essentials = True
                if s.get("cash") and m == s["ms"] + 1:
                    cash_n += 1
        elif ph == "warn":
            if kind == "slow_burn":
                mult *= 1 + 0.6 * t
            elif kind == "cash_spiral":
                mult *= 1 - 0.35 * t
                cash_n += 1 + 4 * t
                cash_med = max(cash_med, 4000 * c.aff)
                wallet_n = int(round(2 * t * r.random()))
                if s.get("gaming"):
                    gaming_n = int(3 + 10 * t)
            elif kind == "juggler":
                mult *= 1 + 0.2 * t
            elif kind == "spend_drop":
                mult *= max(0.15, 1 - 0.8 * t)
                essentials = t > 0.5
            elif kind == "surge":
                if m >= s["miss"] - 1:
                    avail = (self.limit - self.balance) / R
                    if avail > 0:
                        tot = avail * r.uniform(0.7, 1.0)
                        k = r.randint(4, 12)
                        for _ in range(k):
                            extras.append((r.choice(["electronics", "jewellery", "travel", "ecom", "electronics"]), tot / k))
                        cash_n += r.randint(1, 4)
                        cash_med = max(cash_med, 8000 * c.aff)
            elif kind == "revolver_slide":
                mult *= 1.0 + 0.1 * t
            if s.get("cut_m") == m and not self.limit_cut:
                new = max(rup(max(self.balance, 0) * 1.03, 5000 * R), rup(self.limit * 0.6, 5000 * R))
                if new < self.limit:
                    self.limit_cut = True
                    c.tags.append("limit_cut")
                    self.push(EPOCH0 + (MONTH_DAY[m] + 2) * DAY + 4 * 3600, "limit", new)
        elif ph == "del":
            if kind == "surge" and m == s["miss"]:
                avail = (self.limit - self.balance) / R
                if avail > 0:
                    extras.append(("electronics", avail * 0.6))
                    cash_n += 2
            else:
                mult *= 0.3
                essentials = True
        if self.cured:
            mult = min(mult, 0.5)
        budget = c.base_spend * mult / R  # rupees
        # ---- recurring bills
        for b in c.bills:
            key, day, mcc, name, ch, amt, months = b
            if months is not None and m not in months:
                continue
            if mult == 0 and key not in ("str",):
                continue
            if key == "elec":
                amt = amt * (1.45 if m in (3, 4, 5) else 1.0) * r.uniform(0.85, 1.15)
            dday = MONTH_DAY[m] + min(day, month_len(m)) - 1
            tsb = EPOCH0 + dday * DAY + r.randrange(8 * 3600, 20 * 3600) - IST
            self.push(tsb, "tx", ("purchase", int(amt * R), mcc, name, ch, "bill"))
        # ---- discretionary
        cats = ESSENTIAL if essentials else list(c.catw)
        weights = [c.catw.get(k, 1) for k in cats]
        spent, n = 0.0, 0
        while spent < budget and n < 90:
            cat = r.choices(cats, weights)[0]
            _, med, sig, hours, _ = CATS[cat]
            amt = r.lognormvariate(math.log(med * c.aff), sig)
            if cat == "fuel":
                amt = round(amt, 2)
            if spent + amt > budget * 1.15 and n > 0:
                if amt > budget * 0.5:
                    n += 1
                    continue
            day = self.rand_day(m)
            tsx = self.local_ts(day - 0, hours, m)
            if reduce_after and day >= reduce_after[0] and r.random() > reduce_after[1]:
                spent += amt
                n += 1
                continue
            self.purchase(tsx, cat, amt)
            spent += amt
            n += 1
        for cat, rupees in extras:
            day = self.rand_day(m)
            if kind == "medical" and cat == "health" and m == s["ms"]:
                day = max(MONTH_DAY[m], s["sday"])
                # a hospital bill, maybe with a follow-up
                self.purchase(self.local_ts(day, "day", m), "health", rupees * 0.8)
                if day + 5 < MONTH_DAY[m + 1]:
                    self.purchase(self.local_ts(day + r.randint(3, 5), "day", m), "pharmacy", rupees * 0.05)
                    self.purchase(self.local_ts(day + r.randint(1, 5), "day", m), "health", rupees * 0.15)
                continue
            self.purchase(self.local_ts(day, CATS[cat][3], m), cat, rupees)
        # ---- cash
        k = self._poisson(cash_n)
        for _ in range(k):
            if reduce_after:
                day = r.randint(reduce_after[0], MONTH_DAY[m + 1] - 1) if (s.get("cash") and r.random() < 0.7) else self.rand_day(m)
                if day >= reduce_after[0] and not s.get("cash") and r.random() > reduce_after[1]:
                    continue
            else:
                day = self.rand_day(m)
            amt = max(500, rup(r.lognormvariate(math.log(cash_med), 0.4), 500))
            tsx = self.local_ts(day, "day", m)
            self.push(tsx, "tx", ("cash_withdrawal", amt * R, None, None, "atm", "cash"))
        for _ in range(wallet_n):
            self.purchase(self.local_ts(self.rand_day(m), "night", m), "wallet", r.lognormvariate(math.log(4000 * c.aff), 0.4))
        for _ in range(gaming_n):
            self.purchase(self.local_ts(self.rand_day(m), "night", m), "gaming", r.lognormvariate(math.log(500), 0.8))

    def _poisson(self, lam):
        if lam <= 0:
            return 0
        L, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self.r.random()
            if p <= L:
                return k
            k += 1

    def on_tx(self, ts, data):
        kind, amt, mcc, name, ch, cat = data
        if ts < self.opened or amt <= 0:
            return
        if self.blocked and cat != "bill":
            return
        if self.blocked and cat == "bill" and self.r.random() < 0.7:
            return
        if self.balance + amt > self.limit:
            return  # declined
        self.tx_n += 1
        tid = "%s-T%05d" % (self.c.id, self.tx_n)
        obj = {"command": "record_transaction", "amount_minor": amt, "channel": ch, "currency": "INR",
               "kind": kind, "occurred_at": fmt(ts), "transaction_id": tid}
        if mcc:
            obj["merchant_category_code"] = mcc
            obj["merchant_name"] = name
        self.emit(ts, obj)
        self.balance += amt
        if kind == "cash_withdrawal":
            fee = max(300 * R, int(amt * 0.025))
            self.push(ts + 37, "feetx", (fee, "Cash advance fee"))
        elif cat in ("ecom", "clothing", "electronics") and self.r.random() < 0.04:
            rts = ts + self.r.randint(3, 14) * DAY + self.r.randrange(-3600, 3600)
            if rts < EPOCH0 + 365 * DAY:
                ramt = amt if self.r.random() < 0.7 else rdown(amt * self.r.uniform(0.2, 0.8), R)
                if ramt > 0:
                    self.push(rts, "refund", (tid, ramt, mcc, name, ch))

    def on_refund(self, ts, data):
        tid, amt, mcc, name, ch = data
        self.tx_n += 1
        self.emit(ts, {"command": "record_transaction", "amount_minor": amt, "channel": ch, "currency": "INR",
                       "kind": "refund", "merchant_category_code": mcc, "merchant_name": name,
                       "occurred_at": fmt(ts), "transaction_id": "%s-T%05d" % (self.c.id, self.tx_n)})
        self.balance -= amt

    def fee(self, ts, amt, label):
        if amt <= 0:
            return
        self.tx_n += 1
        self.emit(ts, {"command": "record_transaction", "amount_minor": amt, "channel": "bank", "currency": "INR",
                       "kind": "fee", "merchant_name": label, "occurred_at": fmt(ts),
                       "transaction_id": "%s-T%05d" % (self.c.id, self.tx_n)})
        self.balance += amt
        self.charges += amt

    def on_feetx(self, ts, data):
        self.fee(ts, data[0], data[1])

    def on_limit(self, ts, new):
        if new == self.limit:
            return
        self.emit(ts, {"command": "change_credit_limit", "credit_limit_minor": new, "effective_at": fmt(ts)})
        self.limit = new

    # ------------------------------------------------------------ statements
    def on_close(self, ts, m):
        self.closings[m] = (self.balance, self.charges)
        self.charges = 0

    def on_stmt(self, ts, m):
        # statement for period m-1, issued in month m
        closing, charges = self.closings[m - 1]
        overdue = sum(b[1] for b in self.buckets)
        if closing <= 0:
            tmin = 0
        else:
            base = charges + int(0.025 * max(0, closing - charges))
            base = max(base, 250 * R)
            tmin = min(closing, base + overdue)
        issue_day = (ts - EPOCH0) // DAY
        due_day = issue_day + self.c.due_offset
        self.emit(ts, {"command": "issue_statement", "closing_balance_minor": closing,
                       "due_date": day_date(due_day).isoformat(), "issued_at": fmt(ts),
                       "minimum_due_minor": tmin, "period": period_name(m - 1)})
        new_part = max(0, tmin - overdue)
        if new_part > 0:
            self.buckets.append([due_day, new_part, m])
        st = {"closing": closing, "tmin": tmin, "due_day": due_day, "paid": 0, "issue_day": issue_day}
        self.stmts[m] = st
        if m <= 11:
            self.push(EPOCH0 + (due_day + 1) * DAY + 3 * 3600, "latefee", m)
            self.plan_payment(ts, m, st)

    def pay_ts(self, day, autopay=False):
        if autopay:
            return EPOCH0 + day * DAY + 3 * 3600 + 30 * 60
        return EPOCH0 + day * DAY + self.r.randrange(8 * 3600, 23 * 3600) - IST

    def plan_payment(self, ts, m, st):
        c, r = self.c, self.r
        closing, tmin, due = st["closing"], st["tmin"], st["due_day"]
        if closing <= 0:
            return
        issue_day = st["issue_day"]
        ph, t = c.phase(m)
        s = c.stress or {}
        kind = s.get("kind")
        if kind in SHOCKS:
            ph = "none" if due < s["sday"] else "warn" if m < s["miss"] else "del"
        mode = c.base_mode
        frac = c.pay_frac
        delay = 0
        bounce = r.random() < c.p_bounce
        retry = True
        early = max(0, c.early + r.randint(-2, 3))
        autopay = c.autopay
        if mode == "volatile":
            mode = r.choices(["full", "fraction", "min", "latemin", "skip"], [35, 25, 22, 13, 5])[0]
            frac = r.uniform(0.2, 0.6)
            if mode == "latemin":
                mode, delay = "min", r.randint(2, 15)
            if mode == "skip":
                # skips this due date, catches up just before the next one
                mode, delay = "min", r.randint(16, 26)
        if c.segment == "healthy" and r.random() < 0.01:
            delay = r.randint(1, 4)  # forgot once
            autopay = False
        if c.p_late and r.random() < c.p_late:
            delay = min(24, 1 + int(r.expovariate(1 / 4.5)))
            autopay = False
        if c.temp and c.temp["ws"] <= m < c.temp["we"]:
            mode = "min"
            autopay = False
            if c.temp["late"] and m == c.temp["we"] - 1:
                delay = r.randint(5, 20)
        elif c.temp and m in (c.temp["we"], c.temp["we"] + 1):
            mode, frac = "fraction", r.uniform(0.25, 0.5)
        if c.big and m > c.big["m"] and c.big["left"] > 0:
            mode = "paydown"
        if self.cured:
            mode = "min"
            autopay = False
            delay = r.randint(0, 6)
            if r.random() < (0.25 if "cured" in c.tags else 0.06):
                mode = "none"
        elif ph == "warn":
            autopay = False
            if kind == "slow_burn":
                if t < 0.34:
                    mode, frac = ("fraction", 0.35) if mode == "full" else ("minx", 1.6)
                elif t < 0.99:
                    mode = "min"
                else:
                    mode, frac = ("partial", r.uniform(0.5, 0.95)) if r.random() < 0.5 else ("min", 1)
                    if mode == "min":
                        delay = r.randint(5, 15)
            elif kind == "cash_spiral":
                if t < 0.5:
                    mode, frac = "minx", r.uniform(1.2, 2.0)
                elif t < 0.99:
                    mode = "min"
                    if r.random() < 0.3:
                        bounce = True
                else:
                    mode, delay = "min", r.randint(3, 14)
            elif kind == "juggler":
                mode, frac = "minx", r.uniform(1.0, 1.5)
                bounce = r.random() < (0.55 if t < 0.99 else 0.9)
                retry = t < 0.99
            elif kind == "spend_drop":
                if t < 0.5:
                    mode, frac = "fraction", max(0.15, frac * 0.5)
                elif t < 0.99:
                    mode = "min"
                else:
                    mode, frac = "partial", r.uniform(0.3, 0.8)
            elif kind == "revolver_slide":
                x = 2.5 - 1.6 * t
                if t >= 0.99:
                    mode, frac = "partial", r.uniform(0.5, 0.85)
                else:
                    mode, frac = "minx", max(1.0, x)
            elif kind == "surge":
                pass  # keeps paying as before (even in full)
            elif kind == "shock" and s.get("L", 0) >= 1:
                mode, delay = "min", r.randint(4, 14)
            elif kind == "medical":
                mode, frac = "partial", r.uniform(0.3, 0.6)
        elif ph == "del":
            mode = "none"
            if r.random() < 0.25:
                mode = "token"
        amt = 0
        if mode == "full":
            amt = closing
        elif mode == "target":
            tgt = c.target_util * c.limit * r.uniform(0.9, 1.1)
            amt = min(closing, max(tmin, rup(closing - tgt, 500 * R)))
        elif mode == "fraction":
            amt = min(closing, max(tmin, rup(frac * closing, 100 * R)))
        elif mode == "min":
            amt = tmin
        elif mode == "minx":
            amt = min(closing, max(tmin, rup(frac * tmin, 100 * R)))
        elif mode == "partial":
            amt = rdown(frac * tmin, 100 * R)
        elif mode == "paydown":
            b = c.big
            step = b["amt"] / b["n"]
            amt = min(closing, max(tmin, rup(closing - b["left"] + step, 1000 * R)))
            b["left"] = max(0, b["left"] - step)
        elif mode == "token":
            old = self.buckets[0][1] if self.buckets else tmin
            amt = rdown(old * r.uniform(0.15, 0.45), 100 * R)
            delay = r.randint(-10, 12)
        if c.big and m == c.big["m"] + 1 and c.big["left"] == 0:
            # the month after the big purchase: start the instalments
            c.big["left"] = c.big["amt"]
            b = c.big
            step = b["amt"] / b["n"]
            amt = min(closing, max(tmin, rup(closing - b["left"] + step, 1000 * R)))
            b["left"] = max(0, b["left"] - step)
        if amt <= 0:
            return
        if delay > 0:
            day = due + delay
            autopay = False
        elif delay < 0:
            day = due + delay
        else:
            day = due if autopay else due - early
        day = max(issue_day + 1, day)
        if day >= MAX_PAY_DAY:
            return
        if self.c.split and mode == "target" and amt > 2 * tmin and r.random() < 0.6:
            first = rdown(amt * r.uniform(0.3, 0.6), 500 * R)
            d1 = max(issue_day + 1, day - r.randint(5, 12))
            if first > 0 and d1 < day:
                self.push(self.pay_ts(d1), "pay", {"amt": first, "m": m})
                amt -= first
        self.push(self.pay_ts(day, autopay), "pay",
                  {"amt": amt, "m": m, "bounce": bounce, "retry": retry})

    def on_pay(self, ts, p):
        amt = p["amt"]
        if amt <= 0:
            return
        self.pay_n += 1
        pid = "%s-P%04d" % (self.c.id, self.pay_n)
        self.emit(ts, {"command": "record_payment", "amount_minor": amt, "currency": "INR",
                       "paid_at": fmt(ts), "payment_id": pid})
        self.balance -= amt
        allocs = []
        left = amt
        for b in self.buckets:
            if left <= 0:
                break
            take = min(left, b[1])
            if take > 0:
                b[1] -= take
                left -= take
                allocs.append((b, take))
        self.buckets = [b for b in self.buckets if b[1] > 0]
        st = self.stmts.get(p["m"])
        if st is not None:
            st["paid"] += amt
        self.payments[pid] = (amt, allocs, p["m"])
        if p.get("bounce"):
            rts = ts + self.r.randint(2, 4) * DAY + self.r.randrange(-1800, 1800)
            reason = self.r.choices(["insufficient_funds", "other", "stopped"], [85, 10, 5])[0]
            self.push(rts, "ret", (pid, reason, p))

    def on_ret(self, ts, data):
        pid, reason, p = data
        amt, allocs, m = self.payments[pid]
        self.emit(ts, {"command": "return_payment", "payment_id": pid, "reason": reason, "returned_at": fmt(ts)})
        self.balance += amt
        for b, take in allocs:
            b[1] += take
            if b not in self.buckets:
                self.buckets.append(b)
        self.buckets.sort(key=lambda b: b[0])
        st = self.stmts.get(m)
        if st is not None:
            st["paid"] -= amt
        if p.get("retry"):
            r = self.r
            d = (ts - EPOCH0) // DAY + r.randint(1, 6)
            if d < MAX_PAY_DAY:
                kind = (self.c.stress or {}).get("kind")
                if kind == "juggler":
                    new = {"amt": rdown(amt * r.uniform(0.5, 1.0), 100 * R), "m": m,
                           "bounce": r.random() < 0.3, "retry": False}
                else:
                    new = {"amt": amt, "m": m}
                self.push(self.pay_ts(d), "pay", new)

    def on_latefee(self, ts, m):
        st = self.stmts[m]
        short = sum(b[1] for b in self.buckets if b[2] == m)
        if short > TOL:
            cl = st["closing"]
            fee = 0 if cl < 500 * R else 100 * R if cl < 5000 * R else 500 * R if cl < 10000 * R \
                else 600 * R if cl < 25000 * R else 800 * R if cl < 50000 * R else 1100 * R
            self.fee(ts, fee, "Late payment fee")

    def on_interest(self, ts, m):
        st = self.stmts.get(m)
        if not st or st["closing"] <= 0:
            return
        left = st["closing"] - st["paid"]
        if left > TOL:
            self.fee(ts, int(round(left * RATE)), "Finance charges")

    # ------------------------------------------------------------ delinquency
    def on_dpd(self, ts, d):
        old = [b for b in self.buckets if b[0] < d and b[1] > TOL]
        dpd = (d - min(b[0] for b in old)) if old else 0
        self.dpd = dpd
        self.max_dpd = max(self.max_dpd, dpd)
        if dpd > 0 or self.last_reported > 0:
            self.emit(ts, {"command": "report_days_past_due", "as_of": fmt(ts), "days_past_due": dpd})
            self.last_reported = dpd
        if dpd >= 30 and self.first_del is None:
            self.first_del = day_date(d).isoformat()
        self.blocked = dpd >= 30
        c = self.c
        if c.cure_dpd and not self.cured and dpd >= c.cure_dpd and d + 1 < MAX_PAY_DAY:
            owed = sum(b[1] for b in self.buckets)
            extra = rdown(max(0, self.balance - owed) * self.r.uniform(0, 0.15), 100 * R)
            self.cured = True
            self.c.tags.append("cured" if dpd >= 30 else "near_miss")
            self.push(ts + self.r.randrange(3600, 12 * 3600), "pay", {"amt": owed + extra, "m": None})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", choices=sorted(MIX), default="mild")
    ap.add_argument("--out", default="-", help="NDJSON path (default stdout)")
    ap.add_argument("--truth", help="truth CSV path")
    a = ap.parse_args()
    master = random.Random("gen2:%s:%d" % (a.profile, a.seed))
    out = sys.stdout if a.out == "-" else open(a.out, "w")
    truth = []
    ndel = 0
    for i in range(a.customers):
        rng = random.Random(master.getrandbits(64))
        c = Customer(i, rng, a.profile)
        sim = Sim(c)
        lines = sim.run()
        out.write("\n".join(lines))
        out.write("\n")
        s = c.stress
        if s:
            stress_start = day_date(s["sday"]).isoformat()
        elif c.temp:
            stress_start = day_date(MONTH_DAY[c.temp["ws"]]).isoformat()
        else:
            stress_start = ""
        ndel += sim.first_del is not None
        truth.append((c.id, c.segment, stress_start, sim.first_del or "", "+".join(c.tags)))
    if out is not sys.stdout:
        out.close()
    if a.truth:
        with open(a.truth, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["customer_id", "segment", "stress_start", "first_delinquent", "shows"])
            w.writerows(truth)
    print("customers %d, 30+ dpd within 2025: %d (%.1f %%)" % (a.customers, ndel, 100.0 * ndel / a.customers),
          file=sys.stderr)


if __name__ == "__main__":
    main()
