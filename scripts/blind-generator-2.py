#!/usr/bin/env python3
"""A second independent synthetic credit-card portfolio generator (stdlib
only), written without reading the project's simulator nor
scripts/blind-generator-1.py (docs/decision.md, "blind generators").

Writes an NDJSON command log (register_customer, record_transaction,
issue_statement, record_payment, return_payment, change_credit_limit,
report_days_past_due) and a truth CSV.

Usage:
  scripts/blind-generator-2.py --customers 2000 --seed 1 --profile base \
      --out g3-base-1.ndjson --truth g3-base-1.truth.csv

Design (its author's own assumptions):
  * Billing: calendar-month periods; statement issued on the 2nd of the next
    month at 01:15Z, due 20 days later (the 22nd).  The log opens with the
    2024-12 statement (issued 2025-01-02) carrying the balance brought in.
  * Minimum due = max(5 % of closing, Rs 200) + any overdue minimum,
    capped at the closing balance.
  * Payments settle the oldest unpaid minimum first; days past due = days
    since the due date of the oldest minimum not fully paid.
  * Days past due are reported weekly (Mondays 06:30Z) while past due, plus on
    the day an account first reaches 30 and at each further 30-day bucket,
    and a 0 report right after the payment that cures it.
  * Fees are posted as record_transaction kind=fee: finance charges on the
    average daily balance when revolving, late payment charge by slab,
    cash-advance fee, annual fee, 18 % GST on charges.
"""
import argparse
import csv
import datetime as dt
import json
import math
import random

START = dt.date(2025, 1, 1)
END = dt.date(2025, 12, 31)
ORD0 = START.toordinal()
NDAYS = (END - START).days + 1
MACRO_START = dt.date(2025, 4, 1).toordinal()
MACRO_FULL = dt.date(2025, 6, 30).toordinal()


def month_add(y, m, n):
    m0 = y * 12 + (m - 1) + n
    return m0 // 12, m0 % 12 + 1


def stmt_period(k):
    """Statement k: k=0 is period 2024-12 issued 2025-01-02."""
    return month_add(2024, 12, k)


def stmt_issue(k):
    y, m = month_add(2025, 1, k)
    return dt.date(y, m, 2)


def stmt_due(k):
    return stmt_issue(k) + dt.timedelta(days=20)


ISSUE_ORD = {stmt_issue(k).toordinal(): k for k in range(12)}

# ---------------------------------------------------------------- merchants
# name: (mcc list, merchants, ticket INR at wealth 1, channel weights, class)
CATS = {
    "grocery": (["5411"], ["BigBasket", "DMart", "Reliance Fresh", "More Supermarket", "Spencer's",
                           "Blinkit", "Zepto", "Nature's Basket", "Star Bazaar"], 1250,
                {"pos": .35, "contactless": .3, "online": .35}, "ess"),
    "fuel": (["5541", "5542"], ["Indian Oil", "HP Petrol Pump", "Bharat Petroleum", "Shell India",
                                "Nayara Energy", "Jio-bp"], 1800, {"pos": .7, "contactless": .3}, "ess"),
    "dining": (["5812", "5814"], ["Swiggy", "Zomato", "Barbeque Nation", "Haldiram's", "Cafe Coffee Day",
                                  "McDonald's", "Domino's Pizza", "Starbucks India", "Chaayos", "Social"],
               650, {"online": .5, "pos": .2, "contactless": .3}, "disc"),
    "shopping": (["5399", "5311"], ["Amazon", "Flipkart", "Meesho", "Ajio", "Tata CLiQ", "Shoppers Stop"],
                 1900, {"online": .85, "pos": .15}, "semi"),
    "apparel": (["5651", "5691"], ["Myntra", "Westside", "Pantaloons", "Lifestyle", "Max Fashion", "Zudio"],
                2300, {"online": .45, "pos": .35, "contactless": .2}, "disc"),
    "electronics": (["5732"], ["Croma", "Reliance Digital", "Vijay Sales", "Imagine Apple", "Samsung Store"],
                    16000, {"pos": .5, "online": .5}, "disc"),
    "air": (["4511"], ["IndiGo", "Air India", "Akasa Air", "SpiceJet"], 7000, {"online": 1.0}, "disc"),
    "rail": (["4112"], ["IRCTC"], 1100, {"online": 1.0}, "semi"),
    "cab": (["4121"], ["Uber India", "Ola", "Rapido"], 320, {"online": 1.0}, "semi"),
    "hotel": (["7011"], ["OYO", "Taj Hotels", "MakeMyTrip Hotels", "Lemon Tree", "ITC Hotels"], 6000,
              {"online": .7, "pos": .3}, "disc"),
    "pharmacy": (["5912"], ["Apollo Pharmacy", "MedPlus", "Tata 1mg", "PharmEasy", "Wellness Forever"], 650,
                 {"pos": .45, "online": .35, "contactless": .2}, "ess"),
    "health": (["8062", "8011"], ["Apollo Hospitals", "Fortis Healthcare", "Manipal Hospitals",
                                  "Max Healthcare", "Practo", "Narayana Health"], 4500,
               {"pos": .7, "online": .3}, "ess"),
    "movies": (["7832"], ["PVR INOX", "BookMyShow", "Cinepolis"], 800, {"online": .8, "pos": .2}, "disc"),
    "jewellery": (["5944"], ["Tanishq", "Kalyan Jewellers", "Malabar Gold", "CaratLane", "PC Jeweller"],
                  30000, {"pos": .85, "online": .15}, "disc"),
    "home": (["5712", "5200"], ["IKEA", "Pepperfry", "Urban Ladder", "Home Centre", "Pepperfry Studio"],
             7000, {"online": .6, "pos": .4}, "disc"),
    "education": (["8299", "8220"], ["BYJU'S", "Unacademy", "PhysicsWallah", "Fee Payment Portal"], 9000,
                  {"online": 1.0}, "ess"),
    # quasi-cash / vice: rare for healthy customers, stress signals otherwise
    "wallet": (["6540"], ["Paytm Wallet", "Amazon Pay Balance", "PhonePe Wallet", "MobiKwik"], 2000,
               {"online": 1.0}, "quasi"),
    "gift": (["5947"], ["Amazon Gift Cards", "Flipkart Gift Card", "Woohoo Gift Cards"], 4000,
             {"online": 1.0}, "quasi"),
    "betting": (["7995"], ["Dream11", "RummyCircle", "MPL", "My11Circle", "PokerBaazi"], 800,
                {"online": 1.0}, "vice"),
}
BASE_SHARE = {"grocery": .20, "fuel": .12, "dining": .13, "shopping": .16, "apparel": .06,
              "electronics": .04, "air": .04, "rail": .02, "cab": .05, "hotel": .025, "pharmacy": .04,
              "health": .015, "movies": .03, "jewellery": .01, "home": .02, "education": .01}
FESTIVE = {"shopping", "apparel", "electronics", "jewellery", "home"}
TRAVEL = {"air", "hotel", "rail"}
SUBS = [("Netflix", "5815", [19900, 49900, 64900]), ("Spotify", "5815", [11900]),
        ("Disney+ Hotstar", "5815", [29900, 49900]), ("YouTube Premium", "5815", [14900]),
        ("Amazon Prime", "5815", [29900]), ("Zee5", "5815", [9900])]
UTIL = ["Tata Power", "BESCOM", "MSEDCL", "Adani Electricity", "TNEB", "Mahanagar Gas"]
TELCO = ["Jio", "Airtel", "Vi", "ACT Fibernet", "BSNL"]
INSUR = ["LIC", "HDFC Ergo", "ICICI Lombard", "Star Health", "Niva Bupa"]
RENT = ["CRED RentPay", "NoBroker Rent", "Housing.com Pay Rent"]
ATMS = ["HDFC Bank ATM", "SBI ATM", "ICICI Bank ATM", "Axis Bank ATM", "Kotak ATM", "PNB ATM"]
FIRST = ["Aarav", "Vivaan", "Aditya", "Arjun", "Sai", "Reyansh", "Krishna", "Ishaan", "Rohan", "Kabir",
         "Ananya", "Diya", "Saanvi", "Aadhya", "Pooja", "Priya", "Neha", "Kavya", "Meera", "Lakshmi",
         "Rahul", "Amit", "Suresh", "Ramesh", "Vikram", "Sunita", "Anjali", "Deepak", "Farhan", "Imran",
         "Zoya", "Ayesha", "Gurpreet", "Harpreet", "Manoj", "Sanjay", "Nikhil", "Shreya", "Tanvi", "Varun"]
LAST = ["Sharma", "Verma", "Iyer", "Nair", "Reddy", "Patel", "Shah", "Gupta", "Singh", "Kumar", "Das",
        "Banerjee", "Mukherjee", "Rao", "Menon", "Pillai", "Joshi", "Kulkarni", "Desai", "Khan", "Ali",
        "Chopra", "Malhotra", "Mehta", "Agarwal", "Bose", "Ghosh", "Naidu", "Hegde", "Fernandes"]

# ------------------------------------------------------------------ personas
P_BASE = [
    ("stressed", "income_loss", .022), ("stressed", "overextension", .019), ("stressed", "shock", .011),
    ("stressed", "no_warning", .014), ("stressed", "bust_out", .005), ("stressed", "bounce_spiral", .009),
    ("stressed", "gambler", .008), ("stressed_late", "late", .012),
    ("noisy", "minpayer", .06), ("noisy", "cash_habit", .03), ("noisy", "forgetful", .04),
    ("noisy", "temp_shock", .045), ("noisy", "seasonal", .03), ("noisy", "bounce_once", .015),
    ("noisy", "maxed_transactor", .015), ("noisy", "rent_on_card", .01),
    ("healthy", "transactor", .29), ("healthy", "autopay", .07), ("healthy", "revolver", .19),
    ("healthy", "light", .105),
]
P_STRESSED = [
    ("stressed", "income_loss", .040), ("stressed", "overextension", .024), ("stressed", "shock", .013),
    ("stressed", "no_warning", .017), ("stressed", "bust_out", .005), ("stressed", "bounce_spiral", .017),
    ("stressed", "gambler", .009), ("stressed_late", "late", .020),
    ("noisy", "minpayer", .065), ("noisy", "cash_habit", .035), ("noisy", "forgetful", .04),
    ("noisy", "temp_shock", .085), ("noisy", "seasonal", .025), ("noisy", "bounce_once", .02),
    ("noisy", "maxed_transactor", .012), ("noisy", "rent_on_card", .008),
    ("healthy", "transactor", .25), ("healthy", "autopay", .06), ("healthy", "revolver", .165),
    ("healthy", "light", .09),
]
PROFILES = {"base": P_BASE, "stressed_economy": P_STRESSED}

LEAD_DAYS = {"income_loss": (60, 160), "overextension": (150, 300), "shock": (12, 55),
             "no_warning": (3, 22), "bust_out": (25, 70), "bounce_spiral": (50, 120),
             "gambler": (90, 240)}
# probability each warning sign is switched on for a stressed persona
SIGNAL_P = {
    "income_loss": {"minpay": .85, "cash": .6, "essentials": .7, "late": .45, "split": .4, "quasi": .3,
                    "bounce": .15, "spendup": .5},
    "overextension": {"minpay": .9, "cash": .4, "essentials": .2, "late": .3, "split": .3, "quasi": .45,
                      "bounce": .1, "spendup": .9},
    "shock": {"minpay": .7, "cash": .4, "essentials": .3, "late": .1, "split": .3, "quasi": .1,
              "bounce": .1, "spendup": 0},
    "no_warning": {},
    "bust_out": {"cash": .8, "quasi": .8, "bounce": .6, "spendup": 1.0},
    "bounce_spiral": {"minpay": .7, "cash": .4, "essentials": .4, "late": .6, "split": .5, "quasi": .2,
                      "bounce": 1.0, "spendup": .2},
    "gambler": {"minpay": .8, "cash": .75, "essentials": .1, "late": .35, "split": .35, "quasi": .6,
                "bounce": .25, "spendup": .6, "betting": 1.0},
}


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 25:
        return max(0, int(rng.gauss(lam, math.sqrt(lam)) + .5))
    lim = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= lim:
            return k
        k += 1


def wchoice(rng, d):
    r = rng.random() * sum(d.values())
    for k, v in d.items():
        r -= v
        if r <= 0:
            return k
    return k


def ts(day_ord, secs):
    d = dt.date.fromordinal(day_ord)
    h, rem = divmod(int(secs), 3600)
    m, s = divmod(rem, 60)
    return f"{d.isoformat()}T{h:02d}:{m:02d}:{s:02d}Z"


def ceil_to(v, step):
    return -(-int(v) // step) * step


def late_fee(closing):
    inr = closing / 100
    if inr < 500:
        return 0
    for cap, fee in ((5000, 500), (10000, 750), (25000, 950), (50000, 1100)):
        if inr <= cap:
            return fee * 100
    return 1300 * 100


# ---------------------------------------------------------------- customer
class Customer:
    def __init__(self, idx, seed, profile):
        self.rng = rng = random.Random(f"gen3/{seed}/{profile}/{idx}")
        self.profile = profile
        self.cid = f"G3-{idx:06d}"
        table = PROFILES[profile]
        r = rng.random() * sum(p for _, _, p in table)
        for seg, persona, p in table:
            r -= p
            if r <= 0:
                break
        self.seg, self.persona = seg, persona
        self.late_only = False
        if seg == "stressed_late":
            self.seg = "stressed"
            self.late_only = True
            self.persona = rng.choice(["income_loss", "overextension", "bounce_spiral", "gambler",
                                       "income_loss", "shock"])
        lim = math.exp(rng.gauss(math.log(150000), 0.7))
        if self.persona == "light":
            lim *= 0.8
        self.limit = int(min(1500000, max(25000, lim)) // 5000 * 5000) * 100
        self.wealth = (self.limit / 100 / 150000) ** 0.55
        self.rate = rng.uniform(0.035, 0.0375)
        self.events = []
        self.seq = 0
        self.ntx = 0
        self.npay = 0
        self.shows = []
        self.stress_start = None
        self.setup_style()
        self.setup_spend()
        self.setup_stress()

    # ---------------------------------------------------------- setup
    def setup_style(self):
        rng, p = self.rng, self.persona
        if self.seg == "stressed":
            if p == "overextension":
                base = rng.choice(["revolver", "revolver", "minpayer"])
            elif p == "bust_out":
                base = rng.choice(["transactor", "revolver"])
            else:
                base = wchoice(rng, {"transactor": .35, "autopay": .08, "revolver": .42, "minpayer": .15})
        else:
            base = {"transactor": "transactor", "autopay": "autopay", "revolver": "revolver",
                    "light": "transactor", "minpayer": "minpayer", "cash_habit": "transactor",
                    "forgetful": "transactor", "temp_shock": rng.choice(["transactor", "revolver"]),
                    "seasonal": "transactor", "bounce_once": rng.choice(["transactor", "revolver"]),
                    "maxed_transactor": "transactor", "rent_on_card": "transactor"}[p]
            if p == "cash_habit" and rng.random() < .4:
                base = "revolver"
        self.style = base
        L = self.limit
        self.pay_off = rng.choice([3, 5, 7, 9, 10, 12, 14, 15, 16, 17, 18, 19])
        self.target_bal = 0
        if base == "revolver":
            self.target_bal = L * rng.uniform(0.12, 0.5)
        elif base == "minpayer":
            self.target_bal = L * rng.uniform(0.55, 0.88)

    def setup_spend(self):
        rng, p, L = self.rng, self.persona, self.limit
        frac = {"transactor": (0.08, 0.35), "autopay": (0.08, 0.3), "revolver": (0.05, 0.18),
                "minpayer": (0.015, 0.04)}[self.style]
        if p == "light":
            frac = (0.005, 0.04)
        elif p == "maxed_transactor":
            frac = (0.55, 0.85)
        elif p == "cash_habit":
            frac = (0.06, 0.2)
        self.T = L * rng.uniform(*frac)          # monthly discretionary+essential card spend (paise)
        share = {}
        for c, v in BASE_SHARE.items():
            share[c] = v * math.exp(rng.gauss(0, 0.5))
        if rng.random() < .3:
            share["fuel"] = 0.0
        if rng.random() < .6:
            share["education"] = 0.0
        if rng.random() < .5:
            share["jewellery"] *= .2
        tot = sum(share.values())
        self.share = {c: v / tot for c, v in share.items()}
        self.weekend = rng.uniform(1.0, 1.4)
        # recurring bills on the card
        self.recurring = []   # (day_of_month, cat, merchant, mcc, amount_paise, jitter)
        if rng.random() < .7:
            self.recurring.append((rng.randint(3, 12), "utility", rng.choice(UTIL), "4900",
                                   int(rng.uniform(900, 3800) * self.wealth ** .5) * 100, .2))
        if rng.random() < .8:
            self.recurring.append((rng.randint(1, 28), "telecom", rng.choice(TELCO), "4814",
                                   rng.choice([29900, 39900, 59900, 66600, 99900]), 0))
        for name, mcc, prices in rng.sample(SUBS, rng.choice([0, 0, 1, 1, 2, 3])):
            self.recurring.append((rng.randint(1, 28), "sub", name, mcc, rng.choice(prices), 0))
        if p == "rent_on_card":
            rent = min(L * .35, rng.uniform(12000, 45000) * 100)
            self.recurring.append((rng.randint(1, 5), "rent", rng.choice(RENT), "6513",
                                   int(rent // 10000 * 10000), 0))
        self.insurance = None
        if rng.random() < .3:
            self.insurance = (rng.randint(1, 12), rng.randint(1, 28), rng.choice(INSUR),
                              int(rng.uniform(6000, 35000) * self.wealth) * 100)
        self.annual_fee = None
        if rng.random() < .4:
            self.annual_fee = (rng.randint(1, 12), rng.choice([49900, 49900, 99900, 149900, 249900]))
        self.cash_rate = 0.0
        if p == "cash_habit":
            self.cash_rate = rng.uniform(0.8, 3.0)
            self.shows.append("cash_habit")
        elif rng.random() < .05:
            self.cash_rate = rng.uniform(0.05, 0.3)
        self.limit_up = None
        if self.seg != "stressed" and rng.random() < .06:
            self.limit_up = (rng.randint(dt.date(2025, 3, 1).toordinal(), dt.date(2025, 11, 30).toordinal()),
                             rng.uniform(1.2, 1.6))

    def setup_stress(self):
        rng, p = self.rng, self.persona
        self.sig = set()
        self.ss = None
        self.miss_k = None
        self.miss_due = None
        self.gamma = 1.0
        self.sigma = 1.0
        self.outcome = None
        self.spike = None
        self.tshock = None
        self.late_p = 0.0
        self.bounce_k = None
        if self.seg == "stressed":
            if self.late_only:
                self.miss_k = rng.choice([11, 12, 13])
            else:
                if self.profile == "stressed_economy":
                    w = [0.4, 0.5, 0.5, 0.6] + [1.3] * 7
                else:
                    w = [0.35, 0.9, 1, 1, 1, 1, 1, 1, 1, 1, 0.95]
                self.miss_k = rng.choices(range(11), weights=w)[0]
            self.miss_due = stmt_due(self.miss_k).toordinal()
            lo, hi = LEAD_DAYS[p]
            lead = rng.uniform(lo, hi)
            if (self.profile == "stressed_economy" and p in ("income_loss", "bounce_spiral", "shock")
                    and self.miss_k >= 5 and rng.random() < .7):
                ss = MACRO_START + rng.uniform(0, 110)
                lead = min(max(self.miss_due - ss, lo), hi)
            self.ss = int(self.miss_due - lead)
            if self.ss > END.toordinal() - 20:
                # stress that starts this late would not be visible in the year: start it earlier
                self.ss = END.toordinal() - rng.randint(20, 100)
            self.stress_start = dt.date.fromordinal(self.ss)
            self.gamma = {"income_loss": 1.0, "overextension": 1.4, "shock": 0.3, "bust_out": 0.6,
                          "bounce_spiral": 0.8, "gambler": 1.2, "no_warning": 1.0}[p]
            self.sigma = rng.uniform(0.35, 1.0)
            for s, pr in SIGNAL_P[p].items():
                if rng.random() < pr:
                    self.sig.add(s)
            if p == "no_warning":
                self.sigma = 0.0
            self.late_p = 0.35 * self.sigma if "late" in self.sig else 0.0
            self.outcome = wchoice(rng, {"roll": .6, "cure": .28, "partial": .12})
            if p in ("bust_out",):
                self.outcome = "roll"
            if p == "no_warning" and rng.random() < .5:
                self.outcome = "roll"
            self.cure_dpd = rng.randint(33, 85)
            self.cut_limit = rng.random() < .5
            self.shows = [p] + sorted(self.sig) + self.shows
        elif p == "temp_shock":
            a = rng.randint(ORD0 - 20, ORD0 + 300)
            if self.profile == "stressed_economy" and rng.random() < .6:
                a = int(MACRO_START + rng.uniform(0, 150))
            rise, fall = rng.uniform(20, 70), rng.uniform(50, 130)
            self.tshock = (a, a + rise, a + rise + fall, rng.uniform(0.45, 0.9))
            self.stress_start = dt.date.fromordinal(a)
            self.sig = {s for s, pr in (("minpay", .8), ("cash", .5), ("essentials", .5), ("late", .35),
                                        ("split", .3)) if rng.random() < pr}
            self.late_p = 0.3 if "late" in self.sig else 0.0
            self.sigma = 1.0
            self.shows = ["temp_shock_recovers"] + sorted(self.sig)
        elif p == "seasonal":
            dates = [dt.date(2025, 2, 10), dt.date(2025, 5, 5), dt.date(2025, 10, 12), dt.date(2025, 11, 20),
                     dt.date(2025, 4, 20), dt.date(2025, 12, 5)]
            d0 = rng.choice(dates).toordinal() + rng.randint(-10, 10)
            self.spike = (d0, rng.uniform(0.45, 0.85), rng.uniform(2.5, 6.0))
            self.shows = ["seasonal_spike_paydown"]
        elif p == "forgetful":
            self.forget_p = rng.uniform(0.1, 0.25)
            self.shows = ["occasional_late_pay"]
        elif p == "bounce_once":
            self.bounce_k = rng.randint(1, 10)
            self.shows = ["one_returned_payment"]
        elif p == "minpayer":
            self.shows = ["stable_minimum_payer_high_util"]
        elif p == "maxed_transactor":
            self.shows = ["high_util_pays_full"]
            self.prepay = self.rng.random() < .5
        elif p == "rent_on_card":
            self.shows = ["rent_via_card_pays_full"]
        elif not self.shows:
            self.shows = [p]

    # ---------------------------------------------------------- dynamics
    def x_at(self, d):
        """Stress intensity 0..1 on day ordinal d."""
        if self.tshock:
            a, b, c, amp = self.tshock
            if d < a or d >= c:
                return 0.0
            if d < b:
                return amp * (d - a) / (b - a)
            return amp * (c - d) / (c - b)
        if self.ss is None or d < self.ss:
            return 0.0
        if d >= self.miss_due:
            return 1.0
        return ((d - self.ss) / max(1, self.miss_due - self.ss)) ** self.gamma

    def macro(self, d):
        if self.profile != "stressed_economy" or d < MACRO_START:
            return 0.0
        return min(1.0, (d - MACRO_START) / (MACRO_FULL - MACRO_START))

    def emit(self, day, secs, obj):
        obj["customer_id"] = self.cid
        self.seq += 1
        self.events.append((day * 86400 + int(secs), self.seq, obj, day, secs))

    def txn(self, day, secs, kind, amt, channel, mcc=None, merchant=None):
        self.ntx += 1
        o = {"command": "record_transaction", "transaction_id": f"{self.cid}-T{self.ntx:05d}",
             "amount_minor": int(amt), "currency": "INR", "kind": kind, "channel": channel,
             "occurred_at": ts(day, secs)}
        if mcc:
            o["merchant_category_code"] = mcc
        if merchant:
            o["merchant_name"] = merchant
        self.emit(day, secs, o)
        if kind == "refund":
            self.bal -= amt
        else:
            self.bal += amt
        if kind == "fee":
            self.fees_month += amt

    def fee(self, day, secs, amt, name):
        if amt > 0:
            self.txn(day, secs, "fee", amt, "bank", None, name)

    # ---------------------------------------------------------- simulation
    def run(self):
        rng = self.rng
        L = self.limit
        y0 = rng.randint(2014, 2024)
        opened = dt.date(y0, rng.randint(1, 12), rng.randint(1, 28))
        if opened >= dt.date(2024, 12, 1):
            opened = dt.date(2024, 11, rng.randint(1, 28))
        first = rng.choice(FIRST)
        name = f"{first} {rng.choice(LAST)}"
        idx = int(self.cid[3:])
        phone = "+9198" + f"{(idx * 7919 + 31337) % 10**8:08d}"
        self.phone = phone
        self.emit(ORD0 - 400, 0, {"command": "register_customer", "name": name, "phone": phone,
                                  "credit_limit_minor": L, "currency": "INR",
                                  "opened_at": f"{opened.isoformat()}T{rng.randint(4, 12):02d}:"
                                               f"{rng.randint(0, 59):02d}:00Z"})
        self.events[-1] = (-10**12, 0, self.events[-1][2], 0, 0)
        # opening balance brought in (becomes the 2024-12 statement)
        x0 = self.x_at(ORD0)
        if self.style in ("transactor", "autopay"):
            b0 = self.T * rng.uniform(0.6, 1.3)
        else:
            b0 = self.target_bal + self.T * rng.uniform(0.6, 1.3)
        if self.persona == "light":
            b0 = self.T * rng.uniform(0, 2)
        b0 += x0 * 0.35 * L * self.sigma
        self.bal = int(min(b0, 0.97 * L))
        self.bal = self.bal // 100 * 100 + rng.randint(0, 99)
        self.fees_month = 0
        self.cash_month = 0
        self.adb = 0
        self.adb_days = 0
        self.buckets = []          # [due_ord, remaining]
        self.alloc = {}            # payment id -> [(bucket, amount)]
        self.sched = {}            # day -> list of actions
        self.last = None           # current statement dict
        self.pending_closing = self.bal
        self.reported_pos = False
        self.first30 = None
        self.cured = False
        self.recovered = False
        self.reached30 = False
        self.limit_cut_done = False
        self.bust_bounced = False
        self.dpd_today = 0
        self.worst = 0
        if self.spike:
            self.spike_left = 0
        for day in range(ORD0, ORD0 + NDAYS):
            self.simulate_day(day)
        self.events.sort(key=lambda e: (e[0], e[1]))
        return [e[2] for e in self.events]

    def dpd(self, day):
        oldest = None
        for b in self.buckets:
            if b[1] > 0 and b[0] < day:
                if oldest is None or b[0] < oldest:
                    oldest = b[0]
        return 0 if oldest is None else day - oldest

    def overdue_total(self):
        return sum(b[1] for b in self.buckets if b[1] > 0)

    def oldest_rem(self):
        bs = [b for b in self.buckets if b[1] > 0]
        return min(bs, key=lambda b: b[0])[1] if bs else 0

    def schedule(self, day, item):
        if day < ORD0 + NDAYS:
            self.sched.setdefault(day, []).append(item)

    def pending_amount(self):
        s = 0
        for day, items in self.sched.items():
            for it in items:
                if it[0] == "pay" and it[2] is not None:
                    s += it[2]
        return s

    def do_payment(self, day, secs, amt, bounce):
        if amt <= 0:
            return
        amt = int(amt)
        self.npay += 1
        pid = f"{self.cid}-P{self.npay:04d}"
        self.emit(day, secs, {"command": "record_payment", "payment_id": pid, "amount_minor": amt,
                              "currency": "INR", "paid_at": ts(day, secs)})
        before = self.dpd(day)
        self.bal -= amt
        left = amt
        al = []
        for b in sorted(self.buckets, key=lambda b: b[0]):
            if left <= 0:
                break
            if b[1] > 0:
                t = min(left, b[1])
                b[1] -= t
                left -= t
                al.append((b, t))
        self.alloc[pid] = (al, amt)
        st = self.last
        counted = st is not None and day <= st["due"]
        if counted:
            st["paid"] += amt
        if self.dpd(day) == 0 and self.reported_pos:
            self.emit(day, secs + 120, {"command": "report_days_past_due", "days_past_due": 0,
                                        "as_of": ts(day, secs + 120)})
            self.reported_pos = False
        if bounce:
            rday = day + bounce[0]
            self.schedule(rday, ("ret", 9 * 3600 + self.rng.randint(0, 1800), pid, counted, st, bounce[1]))

    def do_return(self, day, secs, pid, counted, st, repay):
        al, amt = self.alloc[pid]
        reason = "insufficient_funds" if self.rng.random() < .85 else self.rng.choice(["stopped", "other"])
        self.emit(day, secs, {"command": "return_payment", "payment_id": pid, "reason": reason,
                              "returned_at": ts(day, secs)})
        self.bal += amt
        for b, t in al:
            b[1] += t
        if counted and st is not None:
            st["paid"] -= amt
        if self.persona != "bust_out" or self.seg != "stressed":
            # bounce fee (a dishonour charge) is common in India
            self.fee(day, secs + 60, 50000 if amt > 100000 else 35000, "Payment return charge")
        if repay:
            rd = day + self.rng.randint(*repay[1])
            a = repay[0] if repay[0] is not None else amt
            self.schedule(rd, ("pay", self.pay_secs(), a, None))

    def pay_secs(self):
        rng = self.rng
        h = rng.choices(range(7, 23), weights=[2, 3, 4, 5, 5, 5, 5, 4, 4, 4, 5, 6, 7, 7, 6, 4])[0]
        return h * 3600 + rng.randint(0, 59) * 60 + rng.randint(0, 59)

    # ---------------------------------------------------------- statements
    def issue(self, day, k):
        rng = self.rng
        closing = self.pending_closing
        overdue = self.overdue_total()
        if closing <= 0:
            for b in self.buckets:
                b[1] = 0
            minimum = 0
            overdue = 0
        else:
            if overdue > closing:
                excess = overdue - closing
                for b in sorted(self.buckets, key=lambda b: -b[0]):
                    t = min(excess, b[1])
                    b[1] -= t
                    excess -= t
                overdue = closing
            own = max(ceil_to(closing * 0.05, 100), min(closing, 20000))
            minimum = min(closing, own + overdue)
        due = stmt_due(k).toordinal()
        if minimum - overdue > 0:
            self.buckets.append([due, minimum - overdue])
        py, pm = stmt_period(k)
        self.emit(day, 4500, {"command": "issue_statement", "period": f"{py:04d}-{pm:02d}",
                              "closing_balance_minor": int(closing), "minimum_due_minor": int(minimum),
                              "due_date": dt.date.fromordinal(due).isoformat(),
                              "issued_at": ts(day, 4500)})
        self.last = {"k": k, "closing": closing, "min": minimum, "due": due, "paid": 0,
                     "issue": day}
        if self.miss_k is not None and k == self.miss_k and minimum == 0:
            self.miss_k += 1
            self.miss_due = stmt_due(self.miss_k).toordinal()
        self.plan(day, k, closing, minimum, due)

    def base_amount(self, closing, minimum, day):
        rng = self.rng
        st = self.style
        g = self.macro(day)
        if st in ("transactor", "autopay"):
            if g > 0 and rng.random() < 0.12 * g:
                return max(minimum, ceil_to(closing * rng.uniform(0.4, 0.9), 10000))
            return closing
        tgt = self.target_bal * (1 + 0.3 * g) * rng.uniform(0.9, 1.1)
        a = closing - tgt
        if st == "revolver":
            if closing < self.T * 0.6 and rng.random() < .5:
                return closing
            a = max(minimum, ceil_to(a, 10000))
        else:
            a = max(minimum, a) * rng.uniform(1.0, 1.15)
            a = ceil_to(a, 1000) if rng.random() < .6 else ceil_to(a, 10000)
        return min(closing, a)

    def plan(self, day, k, closing, minimum, due):
        rng = self.rng
        if closing <= 0:
            return
        pending = self.pending_amount()
        x = self.x_at(day)
        p = self.persona
        # ---------------- stressed: at and after the hard miss
        if self.seg == "stressed" and k >= self.miss_k:
            if p in ("no_warning", "bust_out") and not self.reached30 and not self.recovered:
                return
            if not self.reached30:
                if rng.random() < .3 and k == self.miss_k and p not in ("shock",):
                    a = min(minimum, ceil_to(minimum * rng.uniform(0.1, 0.6), 10000))
                    if a < minimum:
                        self.schedule(due + rng.randint(-6, 8), ("pay", self.pay_secs(), a, None))
                elif rng.random() < .3 and k > self.miss_k:
                    a = ceil_to(self.oldest_rem() * rng.uniform(0.1, 0.6), 10000)
                    if a < self.oldest_rem():
                        self.schedule(day + rng.randint(3, 18), ("pay", self.pay_secs(), a, None))
                return
            if self.recovered:
                if rng.random() < .2:          # relapse: skips this one
                    return
                a = max(0, minimum - pending)
                if a > 0:
                    self.schedule(day + rng.randint(8, 20), ("pay", self.pay_secs(), ceil_to(a, 1000), None))
                return
            if self.outcome in ("roll", "cure"):
                if rng.random() < .2:
                    a = ceil_to(self.oldest_rem() * rng.uniform(0.1, 0.5), 10000)
                    if 0 < a < self.oldest_rem():
                        self.schedule(day + rng.randint(3, 25), ("pay", self.pay_secs(), a, None))
                return
            if self.outcome == "partial":
                if rng.random() < .5:
                    a = ceil_to(self.overdue_total() * rng.uniform(0.2, 0.7), 10000)
                    self.schedule(day + rng.randint(3, 25), ("pay", self.pay_secs(), a, None))
                return
            return
        # ---------------- everyone else (and stressed before the miss)
        amt = self.base_amount(closing, minimum, day)
        if p == "seasonal" and self.spike and self.spike_left > 0:
            amt = max(minimum, ceil_to(closing / self.spike[2], 10000))
            if amt >= closing * .9:
                amt = closing
        if "minpay" in self.sig and x > 0:
            xx = min(1.0, x * (1.3 if self.seg == "stressed" else 1.0))
            amt = amt - (amt - minimum) * xx
            if rng.random() < 0.5 * xx:
                amt = minimum
            else:
                amt = ceil_to(amt, 1000)
        amt = min(closing, max(minimum, int(amt)))
        amt = amt - pending
        if amt <= 0:
            return
        if amt < minimum - pending and minimum - pending > 0:
            amt = minimum - pending
        # timing
        if self.style == "autopay" and not (self.seg == "stressed" and x > .4):
            pday = due
            secs = 8 * 3600 + rng.randint(0, 900)
        else:
            off = self.pay_off + rng.randint(-3, 3)
            if "late" in self.sig and x > 0:
                off = off + (19 - off) * min(1.0, x) * rng.uniform(0.4, 1.0)
            pday = day + int(max(1, min(20, off)))
            secs = self.pay_secs()
        late = False
        if self.late_p > 0 and x > 0.2 and rng.random() < self.late_p * x:
            late = True
            maxlate = 14 if self.seg == "noisy" else 20
            pday = due + rng.randint(1, maxlate)
        if p == "forgetful" and rng.random() < self.forget_p:
            late = True
            pday = due + rng.choice([1, 2, 3, 4, 5, 7, 9, 12, 16, 19])
        # bounce
        bounce = None
        pb = 0.002
        if "bounce" in self.sig:
            pb = (0.12 + 0.55 * x) if p == "bounce_spiral" else 0.08 * x
        if p == "bounce_once" and k == self.bounce_k:
            pb = 1.0
        if self.seg == "stressed" and p != "bounce_spiral" and not ("bounce" in self.sig):
            pb = 0.003
        if rng.random() < pb:
            back = rng.randint(1, 4)
            if self.seg == "stressed":
                # re-pays (maybe only the minimum) unless very stressed
                if rng.random() < 0.85 - 0.4 * x:
                    repay = (min(amt, max(minimum, ceil_to(amt * rng.uniform(.3, 1), 10000))), (1, 6))
                else:
                    repay = None
            else:
                repay = (amt, (1, 5))
            bounce = (back, repay)
        # split into instalments
        if "split" in self.sig and x > 0.3 and rng.random() < 0.5 * x and amt > 50000 and not late:
            n = rng.choice([2, 2, 3])
            first_day = max(day + 1, pday - rng.randint(5, 12))
            parts = [amt // n] * (n - 1)
            parts.append(amt - sum(parts))
            days = sorted(rng.randint(first_day, max(first_day, pday)) for _ in range(n))
            for i, (dd, a) in enumerate(zip(days, parts)):
                self.schedule(dd, ("pay", self.pay_secs(), a, bounce if i == 0 else None))
            return
        self.schedule(pday, ("pay", secs, amt, bounce))
        # a maxed transactor sometimes prepays mid-cycle to free limit
        if p == "maxed_transactor" and getattr(self, "prepay", False):
            self.schedule(day + rng.randint(12, 22), ("prepay", self.pay_secs(), rng.uniform(.3, .6), None))

    # ---------------------------------------------------------- one day
    def simulate_day(self, day):
        rng = self.rng
        d = dt.date.fromordinal(day)
        if d.day == 1:
            self.pending_closing = self.bal
        acts = []   # (secs, order, kind, payload)
        if day in ISSUE_ORD:
            acts.append((4500, 0, "stmt", ISSUE_ORD[day]))
        if self.last and day == self.last["due"] + 1:
            acts.append((3 * 3600, 0, "latefee", None))
        acts.append((6 * 3600 + 1800, 0, "dpd", None))
        for it in self.sched.pop(day, []):
            if it[0] == "pay":
                acts.append((it[1], 1, "pay", it))
            elif it[0] == "prepay":
                acts.append((it[1], 1, "prepay", it))
            elif it[0] == "ret":
                acts.append((it[1], 1, "ret", it))
            elif it[0] == "refund":
                acts.append((it[1], 1, "refund", it))
        if self.limit_up and day == self.limit_up[0]:
            acts.append((11 * 3600, 1, "limit_up", None))
        # purchases etc. are generated lazily at 07:00 once the morning dpd is known
        acts.append((7 * 3600 - 1, 0, "spend", None))
        last_dom = (d + dt.timedelta(days=1)).day == 1
        if last_dom:
            acts.append((23 * 3600 + 1800, 9, "interest", None))
        acts.sort(key=lambda a: (a[0], a[1]))
        i = 0
        while i < len(acts):
            secs, _, kind, pl = acts[i]
            i += 1
            if kind == "stmt":
                self.issue(day, pl)
            elif kind == "latefee":
                st = self.last
                unpaid = sum(b[1] for b in self.buckets if b[0] <= st["due"])
                if unpaid > 0 and self.dpd(day) < 90:
                    self.fee(day, secs, late_fee(st["closing"]), "Late payment charge")
            elif kind == "dpd":
                self.morning(day, secs, d)
            elif kind == "pay":
                self.do_payment(day, secs, pl[2], pl[3])
            elif kind == "prepay":
                if self.bal > 100000:
                    self.do_payment(day, secs, ceil_to(self.bal * pl[2], 10000), None)
            elif kind == "ret":
                self.do_return(day, secs, pl[2], pl[3], pl[4], pl[5])
            elif kind == "refund":
                self.txn(day, secs, "refund", pl[2], "online", pl[3], pl[4])
            elif kind == "limit_up":
                newl = int(self.limit * self.limit_up[1] // 500000 * 500000)
                if newl > self.limit:
                    self.limit = newl
                    self.emit(day, secs, {"command": "change_credit_limit", "credit_limit_minor": newl,
                                          "effective_at": ts(day, secs)})
            elif kind == "spend":
                new = self.spend_day(day, d)
                acts.extend(new)
                acts[i:] = sorted(acts[i:], key=lambda a: (a[0], a[1]))
            elif kind == "purchase":
                cat, amt, mcc, merch, ch = pl
                if amt <= self.limit - self.bal:
                    self.txn(day, secs, "purchase", amt, ch, mcc, merch)
                    if cat in ("shopping", "apparel") and rng.random() < .04:
                        ra = amt if rng.random() < .7 else int(amt * rng.uniform(.2, .8))
                        self.schedule(day + rng.randint(3, 20),
                                      ("refund", 10 * 3600 + rng.randint(0, 40000), max(100, ra), mcc, merch))
            elif kind == "cash":
                amt = pl
                avail = min(self.limit * 0.4, self.limit - self.bal)
                if amt > avail:
                    amt = int(avail // 50000 * 50000)
                if amt >= 100000:
                    self.txn(day, secs, "cash_withdrawal", amt, "atm", "6011", rng.choice(ATMS))
                    self.cash_month += amt
                    self.fee(day, secs + 1, max(50000, ceil_to(amt * 0.025, 100)), "Cash advance fee")
            elif kind == "interest":
                self.month_end(day, secs)
            if day in self.sched:
                for it in self.sched.pop(day):
                    if it[0] in ("pay", "prepay", "ret", "refund"):
                        acts.append((max(it[1], secs + 60), 1, it[0], it))
                acts[i:] = sorted(acts[i:], key=lambda a: (a[0], a[1]))
        self.adb += max(0, self.bal)
        self.adb_days += 1

    def morning(self, day, secs, d):
        dpd = self.dpd(day)
        self.dpd_today = dpd
        self.worst = max(self.worst, dpd)
        report = False
        if dpd > 0:
            if d.weekday() == 0 or dpd % 30 == 0:
                report = True
            if dpd >= 30 and self.first30 is None:
                self.first30 = d
                report = True
            if dpd >= 30:
                self.reached30 = True
        elif self.reported_pos:
            report = True
        if report:
            self.emit(day, secs, {"command": "report_days_past_due", "days_past_due": dpd,
                                  "as_of": ts(day, secs)})
            self.reported_pos = dpd > 0
        if self.seg == "stressed" and self.reached30:
            if self.outcome == "cure" and not self.cured and dpd >= self.cure_dpd:
                a = ceil_to(self.overdue_total(), 10000)
                if self.rng.random() < .4:
                    a = ceil_to(a * self.rng.uniform(1.0, 1.5), 10000)
                a = min(a, max(self.bal, 0))
                if a > 0:
                    self.schedule(day, ("pay", self.pay_secs(), a, None))
                self.cured = True
                self.recovered = True
            if dpd >= 60 and self.cut_limit and not self.limit_cut_done:
                self.limit_cut_done = True
                newl = max(0, int(max(self.bal, 0) // 100000 * 100000))
                if newl < self.limit:
                    self.limit = newl
                    self.emit(day, 11 * 3600, {"command": "change_credit_limit", "credit_limit_minor": newl,
                                               "effective_at": ts(day, 11 * 3600)})

    def month_end(self, day, secs):
        st = self.last
        revolving = st is not None and st["closing"] > 0 and st["paid"] < st["closing"] - 100
        interest = 0
        if self.dpd_today >= 90:
            # non-performing (90+ days past due): interest is no longer booked
            revolving = False
            self.cash_month = 0
        if revolving and self.adb_days:
            avg = (self.adb + max(0, self.bal)) / (self.adb_days + 1)
            interest = int(avg * self.rate)
        elif self.cash_month:
            interest = int(self.cash_month * self.rate * 0.5)
        if interest >= 100:
            self.fee(day, secs, interest, "Finance charges")
        d = dt.date.fromordinal(day)
        if self.annual_fee and self.annual_fee[0] == d.month:
            self.fee(day, secs + 300, self.annual_fee[1], "Annual membership fee")
        gst = int(self.fees_month * 0.18)
        if gst >= 100:
            self.fee(day, secs + 600, gst, "GST on charges")
        self.fees_month = 0
        self.cash_month = 0
        self.adb = 0
        self.adb_days = 0
        if self.spike and self.spike_left > 0 and self.bal < self.T * 1.5:
            self.spike_left = 0

    def spend_day(self, day, d):
        rng = self.rng
        p = self.persona
        x = self.x_at(day)
        g = self.macro(day)
        mult = 1.0
        stressed = self.seg == "stressed"
        if stressed:
            if self.reached30 and not self.recovered:
                return []
            if self.dpd_today >= 30:
                return []
            if p == "no_warning" and day >= self.ss:
                mult = 0.05 if rng.random() < .7 else 0.0
            if p == "bust_out" and day >= self.miss_due:
                return []
            if self.dpd_today > 0:
                mult *= 0.45
            if self.recovered:
                mult *= 0.5
        out = []
        xs = x * self.sigma if stressed else x
        # ---- recurring bills
        for dom, kind, merch, mcc, amt, jit in self.recurring:
            if d.day == dom and mult > 0.04:
                a = int(amt * (1 + rng.uniform(-jit, jit))) if jit else amt
                out.append((rng.randint(5 * 3600, 11 * 3600) + 2 * 3600, 2, "purchase",
                            (kind, a, mcc, merch, "online")))
        if self.insurance and d.month == self.insurance[0] and d.day == self.insurance[1] and mult > .04:
            out.append((12 * 3600, 2, "purchase", ("insurance", self.insurance[3], "6300",
                                                   self.insurance[2], "online")))
        # ---- category mix
        wk = self.weekend if d.weekday() >= 5 else 1.0
        T = self.T * mult
        if "spendup" in self.sig and stressed:
            T *= 1 + (0.6 if p == "overextension" else 0.35) * xs
        if self.tshock:
            T *= 1 + 0.2 * x
        lam = {}
        ess_up = 1 + (0.8 * xs if "essentials" in self.sig else 0) + 0.08 * g
        disc_dn = max(0.15, 1 - (0.65 * xs if "essentials" in self.sig else 0.1 * xs) - 0.18 * g)
        for c, s in self.share.items():
            cl = CATS[c][4]
            f = s
            if cl == "ess":
                f *= ess_up
            elif cl == "disc":
                f *= disc_dn
            if c in FESTIVE and (dt.date(2025, 10, 1) <= d <= dt.date(2025, 10, 31)):
                f *= 1.6
            if c in TRAVEL and d >= dt.date(2025, 12, 15):
                f *= 1.4
            if p == "shock" and stressed and day >= self.ss and c in ("pharmacy", "health"):
                f *= 3.0
            lam[c] = T * f / (CATS[c][2] * 100 * self.wealth) / 30.4 * wk
        # quasi cash & vice
        q = 0.0
        if "quasi" in self.sig:
            q = (1.2 if p != "bust_out" else 4.0) * xs
        if q > 0:
            lam["wallet"] = q / 30.4
            lam["gift"] = q * 0.4 / 30.4
        if "betting" in self.sig:
            lam["betting"] = (1.0 + 14 * xs) / 30.4
        elif rng.random() < 0.0005:
            lam["betting"] = 1.0
        tot = sum(lam.values())
        n = poisson(rng, tot)
        cats = list(lam.keys())
        wts = [lam[c] for c in cats]
        for _ in range(n):
            c = rng.choices(cats, weights=wts)[0]
            mccs, merchants, ticket, chans, _cl = CATS[c]
            mean = ticket * 100 * self.wealth
            if c == "betting":
                mean *= 1 + 2 * xs
            s = 0.75
            a = math.exp(rng.gauss(math.log(mean) - s * s / 2, s))
            if rng.random() < .35:
                a = int(a)
            else:
                a = int(a / 100) * 100
            if c in ("wallet", "gift", "betting"):
                a = ceil_to(a, 50000) if c != "betting" else ceil_to(a, 10000)
            a = max(100, a)
            secs = self.txn_secs(c)
            out.append((secs, 2, "purchase", (c, a, rng.choice(mccs), rng.choice(merchants), wchoice(rng, chans))))
        # ---- one-off events
        if stressed and p == "shock" and self.ss <= day < self.ss + 10:
            if day == self.ss or rng.random() < .15:
                avail = max(0, self.limit - self.bal)
                a = int(avail * rng.uniform(0.3, 0.6) // 100 * 100)
                if a > 100000:
                    out.append((rng.randint(9 * 3600, 20 * 3600), 2, "purchase",
                                ("health", a, "8062", rng.choice(CATS["health"][1][:4]), "pos")))
        if stressed and p == "bust_out" and self.ss <= day < self.miss_due:
            # the card is being drained: big-ticket resaleable goods and gift cards
            if rng.random() < 0.12 + 0.3 * x:
                c = rng.choice(["electronics", "electronics", "jewellery", "gift", "wallet"])
                avail = max(0, self.limit - self.bal)
                a = int(avail * rng.uniform(0.15, 0.5) // 100 * 100)
                if a > 100000:
                    mccs, merchants, _, chans, _ = CATS[c]
                    out.append((self.txn_secs(c), 2, "purchase", (c, a, mccs[0], rng.choice(merchants),
                                                                  wchoice(rng, chans))))
            if not self.bust_bounced and day >= self.ss + (self.miss_due - self.ss) * 0.5 and self.bal > 0.6 * self.limit:
                self.bust_bounced = True
                a = ceil_to(self.bal * rng.uniform(.6, .9), 100000)
                self.schedule(day + 1, ("pay", self.pay_secs(), a, (rng.randint(3, 5), None)))
        if p == "seasonal" and self.spike and day >= self.spike[0] and day < self.spike[0] + 12:
            if day == self.spike[0]:
                self.spike_left = 1
                self.spike_budget = self.limit * self.spike[1]
            if self.spike_budget > 0 and rng.random() < .5:
                c = rng.choice(["jewellery", "apparel", "hotel", "air", "electronics", "home"])
                a = int(min(self.spike_budget, self.limit * rng.uniform(.08, .3)) // 100 * 100)
                self.spike_budget -= a
                if a > 100000:
                    mccs, merchants, _, chans, _ = CATS[c]
                    out.append((self.txn_secs(c), 2, "purchase", (c, a, mccs[0], rng.choice(merchants),
                                                                  wchoice(rng, chans))))
        # ---- cash advances
        cr = self.cash_rate + 0.15 * g * (1 if rng.random() < .3 else 0)
        if "cash" in self.sig:
            k = {"income_loss": 2.0, "overextension": 1.0, "gambler": 2.5, "bust_out": 3.0,
                 "shock": 1.5, "bounce_spiral": 0.8}.get(p, 1.2)
            cr += k * xs
        if mult > 0 and cr > 0 and rng.random() < cr * mult / 30.4:
            a = rng.choice([2000, 3000, 5000, 5000, 10000, 10000, 15000, 20000, 25000]) * 100
            a = int(a * max(0.5, self.wealth) // 50000 * 50000)
            out.append((rng.randint(8 * 3600, 22 * 3600), 2, "cash", max(100000, a)))
        return out

    def txn_secs(self, c):
        rng = self.rng
        if c in ("dining",):
            h = rng.choice([12, 13, 13, 14, 19, 20, 20, 21, 21, 22])
        elif c in ("betting",):
            h = rng.choice([19, 20, 21, 22, 22, 23, 23])
        else:
            h = rng.choices(range(7, 24), weights=[1, 2, 3, 4, 4, 4, 4, 4, 4, 5, 6, 7, 7, 6, 5, 3, 2])[0]
        s = h * 3600 + rng.randint(0, 3599)
        return min(s, 23 * 3600 + 1500)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", choices=sorted(PROFILES), default="base")
    ap.add_argument("--out", required=True)
    ap.add_argument("--truth", required=True)
    a = ap.parse_args()
    n30 = 0
    with open(a.out, "w") as out, open(a.truth, "w", newline="") as tf:
        w = csv.writer(tf, lineterminator="\n")
        w.writerow(["customer_id", "segment", "stress_start", "first_delinquent", "shows"])
        for i in range(a.customers):
            c = Customer(i, a.seed, a.profile)
            lines = c.run()
            for o in lines:
                out.write(json.dumps(o, sort_keys=True, separators=(",", ":")) + "\n")
            fd = c.first30.isoformat() if c.first30 else ""
            n30 += bool(c.first30)
            w.writerow([c.cid, c.seg, c.stress_start.isoformat() if c.stress_start else "", fd,
                        "+".join(c.shows)])
    print(f"{a.customers} customers, {n30} reached 30+ dpd ({100 * n30 / a.customers:.1f} %)")


if __name__ == "__main__":
    main()
