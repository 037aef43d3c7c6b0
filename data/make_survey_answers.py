#!/usr/bin/env python3
"""Writes data/survey_answers.csv: synthetic survey answers for the demo and the examples.

Deterministic (fixed seed); not real customers. The NPS answers are built so that their totals are
the textbook example of REFERENCE.md: 250 promoters, 675 passives, 75 detractors (NPS +17.5),
September 2026 (110 / 345 / 45, NPS +13) against October 2026 (140 / 330 / 30, NPS +22).
"""
import random

rng = random.Random(20261123)
rows = []

def day(month):
    return f"2026-{month:02d}-{rng.randint(1, 30):02d}"

def customer():
    return f"C{rng.randint(1, 1500):05d}"

for month, promoters, passives, detractors in ((9, 110, 345, 45), (10, 140, 330, 30)):
    scores = ([rng.choice((9, 10)) for _ in range(promoters)] + [rng.choice((7, 8)) for _ in range(passives)]
              + [rng.randint(0, 6) for _ in range(detractors)])
    rows += [(customer(), day(month), "nps", s) for s in scores]

csat_weights = {1: 4, 2: 6, 3: 15, 4: 40, 5: 35}
for month in (9, 10):
    for _ in range(300):
        rows.append((customer(), day(month), "csat", rng.choices(list(csat_weights), list(csat_weights.values()))[0]))

ces_weights = {1: 3, 2: 5, 3: 8, 4: 14, 5: 25, 6: 28, 7: 17}
for month in (9, 10):
    for _ in range(200):
        rows.append((customer(), day(month), "ces", rng.choices(list(ces_weights), list(ces_weights.values()))[0]))

rows.sort(key=lambda r: (r[1], r[0], r[2]))
with open("survey_answers.csv", "w") as out:
    out.write("customer,date,survey,score\n")
    for r in rows:
        out.write(f"{r[0]},{r[1]},{r[2]},{r[3]}\n")
