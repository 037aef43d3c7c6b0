#!/usr/bin/env python3
"""Writes data/synthetic_events.csv: a synthetic event stream for examples/engagement_vs_satisfaction.cpp.

Deterministic (fixed seed, Python's own Mersenne Twister, integer and float draws only); not real
customers. 2,000 customers over 2024-01-01 .. 2025-12-31, one row per event:

    customer,time_ms,kind,value

time_ms is milliseconds since 1970 (UTC); kind is one of cxm's built-in kind names (purchase, refund,
visit, interaction, loyalty, referral, support_contact, signup, cancel, csat_answer, ces_answer,
nps_answer); value is the amount of a purchase or refund, the score of an answer, 0 otherwise.

Each customer is drawn from one of four archetypes, so that engagement and satisfaction diverge in
all four ways (Dick & Basu 1994), plus a share who never answer a survey:

    archetype   share  visits / 30 days  purchases / 30 days  CSAT answers      churn hazard / 30 days
    loyal        30 %         5                 1.5             mostly 4-5, NPS 9-10      1 %
    latent       25 %         0.8               0.3             mostly 4-5, NPS 8-10      4 %
    spurious     20 %         4.5               1.2             mostly 1-3, NPS 0-6       3 %
    at_risk      25 %         0.5                 0.2             mostly 1-3, NPS 0-6      10 %

20 % of all customers never answer a survey (the "unsurveyed" group). A customer who churns sends a
cancel event and no event after it. Customers sign up at a uniform time in 2024-01-01 .. 2025-06-30
(a signup event). The archetype is not in the file: the example must find it from the events.
"""
import random

SEED = 20261202
START_MS = 1_704_067_200_000      # 2024-01-01T00:00:00Z
END_MS = 1_767_225_600_000        # 2026-01-01T00:00:00Z (exclusive)
DAY_MS = 86_400_000
MONTH_MS = 30 * DAY_MS
SIGNUP_END_MS = 1_751_328_000_000  # 2025-07-01T00:00:00Z (exclusive): the last signup

ARCHETYPES = [
    # name, share, visits/30d, purchases/30d, satisfied?, churn hazard per 30 days
    ("loyal", 0.30, 5.0, 1.5, True, 0.01),
    ("latent", 0.25, 0.8, 0.3, True, 0.04),
    ("spurious", 0.20, 4.5, 1.2, False, 0.03),
    ("at_risk", 0.25, 0.5, 0.2, False, 0.10),
]

rng = random.Random(SEED)
rows = []


def poisson_times(rate_per_30d, begin, end):
    """Event times of a Poisson process with the given rate on [begin, end)."""
    out = []
    if rate_per_30d <= 0:
        return out
    t = begin
    while True:
        t += int(rng.expovariate(rate_per_30d / MONTH_MS))
        if t >= end:
            return out
        out.append(t)


def csat(satisfied):
    weights = (1, 2, 7, 40, 50) if satisfied else (25, 35, 30, 7, 3)
    return rng.choices((1, 2, 3, 4, 5), weights)[0]


def nps(satisfied):
    if satisfied:
        return rng.choices(range(11), (0, 0, 0, 0, 0, 1, 2, 5, 17, 35, 40))[0]
    return rng.choices(range(11), (8, 7, 10, 12, 14, 16, 15, 10, 5, 2, 1))[0]


def ces(satisfied):
    weights = (1, 2, 4, 10, 25, 33, 25) if satisfied else (15, 20, 22, 18, 12, 8, 5)
    return rng.choices(range(1, 8), weights)[0]


for c in range(1, 2001):
    name, _, visits, purchases, satisfied, hazard = rng.choices(ARCHETYPES, [a[1] for a in ARCHETYPES])[0]
    answers = rng.random() >= 0.20
    signup = rng.randint(START_MS, SIGNUP_END_MS - 1)
    # Churn: geometric in 30-day steps after signup; END_MS means "still a customer at the end".
    churn = END_MS
    t = signup
    while t < END_MS:
        t += MONTH_MS
        if rng.random() < hazard:
            churn = min(t - rng.randint(0, MONTH_MS - 1), END_MS)
            break
    cid = f"C{c:05d}"
    rows.append((cid, signup, "signup", 0))
    for t in poisson_times(visits, signup, churn):
        rows.append((cid, t, "visit", 0))
    for t in poisson_times(visits * 0.4, signup, churn):
        rows.append((cid, t, "interaction", 0))
    for t in poisson_times(purchases, signup, churn):
        rows.append((cid, t, "purchase", rng.randint(500, 15_000) / 100))
    for t in poisson_times(purchases * 0.05, signup, churn):
        rows.append((cid, t, "refund", rng.randint(500, 5_000) / 100))
    for t in poisson_times(0.3 if satisfied else 0.8, signup, churn):
        rows.append((cid, t, "support_contact", 0))
    for t in poisson_times(0.15 if satisfied else 0.02, signup, churn):
        rows.append((cid, t, "referral", 0))
    for t in poisson_times(0.5 if name == "loyal" else 0.1, signup, churn):
        rows.append((cid, t, "loyalty", 0))
    if answers:
        for t in poisson_times(0.25, signup, churn):
            rows.append((cid, t, "csat_answer", csat(satisfied)))
        for t in poisson_times(0.1, signup, churn):
            rows.append((cid, t, "nps_answer", nps(satisfied)))
        for t in poisson_times(0.1, signup, churn):
            rows.append((cid, t, "ces_answer", ces(satisfied)))
    if churn < END_MS:
        rows.append((cid, churn, "cancel", 0))

rows.sort(key=lambda r: (r[1], r[0], r[2]))
with open("synthetic_events.csv", "w", encoding="ascii", newline="\n") as out:
    out.write("customer,time_ms,kind,value\n")
    for cid, t, kind, value in rows:
        out.write(f"{cid},{t},{kind},{value:g}\n")
print(f"{len(rows)} events")
