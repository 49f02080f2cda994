"""Generate the demo scenario: a subscription-churn model in production for 26 weeks.

Deterministic from SEED: running this script rewrites the same values into
baseline.parquet, production/week=2026-WW/part-0.parquet, labels.parquet and truth.json.

The story (production week index 1..26, ISO weeks 2026-01..2026-26):
  week  8+  gradual price rise in monthly_charges           (covariate drift)
  week 10+  region mix shifts towards three regions            (covariate drift)
  week 12+  a new plan "family" appears                        (new category)
  week 14   avg_session_minutes logged in seconds for ~6% of rows (outlier burst)
  week 16+  support tickets stop predicting churn              (concept drift)
  week 20   monthly_charges arrives as `monthly_charge_usd`, strings like "$54.20" (schema break)
  week 22   days_since_last_login ~60% null (tracking outage)  (null spike)

The model is a logistic regression fitted on the baseline with median imputation and one-hot
categories (unknown categories ignored), so it scores broken inputs the way a real pipeline would.

Usage: python sample_data/generate.py [--out DIR]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

SEED = 20260105
N_BASELINE = 50_000
N_WEEKS = 26
BASELINE_START = pd.Timestamp("2025-06-30", tz="UTC")   # 26 weeks before production
PRODUCTION_START = pd.Timestamp("2025-12-29", tz="UTC")  # Monday of ISO week 2026-01
AS_OF = PRODUCTION_START + pd.Timedelta(weeks=N_WEEKS)   # the analysis date: end of week 26
AUDIT_RATE_TARGET = 0.10

NUMERIC = ["tenure_months", "monthly_charges", "support_tickets_30d", "days_since_last_login",
           "avg_session_minutes", "discount_pct", "num_products", "age"]
CATEGORICAL = ["plan", "region", "payment_method", "device_os"]
FEATURES = NUMERIC + CATEGORICAL

PLANS = ["basic", "standard", "premium"]
PLAN_PROBS = [0.45, 0.35, 0.20]
PLAN_PRICE = {"basic": 32.0, "standard": 58.0, "premium": 89.0, "family": 72.0}
REGIONS = ["north", "north-east", "east", "south-east", "south", "south-west", "west",
           "north-west", "central", "capital", "islands", "highlands"]
REGION_PROBS = np.array([10, 8, 9, 8, 11, 7, 9, 8, 10, 12, 4, 4], dtype=float)
REGION_SHIFT = {"capital": 2.0, "south-east": 1.8, "islands": 2.5}   # multipliers from week 10
PAYMENT = ["card", "bank_transfer", "paypal", "invoice"]
PAYMENT_PROBS = [0.45, 0.25, 0.2, 0.1]
DEVICE = ["ios", "android", "web", "windows"]
DEVICE_PROBS = [0.35, 0.4, 0.15, 0.1]

EVENTS = [
    {"name": "price_rise", "column": "monthly_charges", "kind": "covariate_drift", "first_week": 8,
     "last_week": 26, "detail": "prices +6% in week 8, then +1.5% per week"},
    {"name": "region_mix", "column": "region", "kind": "covariate_drift", "first_week": 10,
     "last_week": 26, "detail": f"region weights multiplied by {REGION_SHIFT}"},
    {"name": "new_plan", "column": "plan", "kind": "new_category", "first_week": 12, "last_week": 26,
     "detail": "plan 'family' appears: 8% of customers in week 12, growing 0.5 points a week"},
    {"name": "outlier_burst", "column": "avg_session_minutes", "kind": "outlier_burst", "first_week": 14,
     "last_week": 14, "detail": "6% of rows logged in seconds instead of minutes (x60)"},
    {"name": "concept_drift", "column": "support_tickets_30d", "kind": "concept_drift", "first_week": 16,
     "last_week": 26, "detail": "support tickets no longer raise churn (coefficient +0.55 -> -0.25)"},
    {"name": "schema_break", "column": "monthly_charges", "kind": "schema_break", "first_week": 20,
     "last_week": 20, "detail": "arrives renamed as 'monthly_charge_usd' with strings like '$54.20'",
     "renamed_to": "monthly_charge_usd"},
    {"name": "null_spike", "column": "days_since_last_login", "kind": "null_spike", "first_week": 22,
     "last_week": 22, "detail": "tracking outage: ~60% of values missing"},
]


def week_label(week: int) -> str:
    return f"2026-{week:02d}"


def draw_customers(rng: np.random.Generator, n: int, week: int | None) -> pd.DataFrame:
    """Customer features; ``week`` None means the baseline period, else a production week (1..26)."""
    w = week or 0
    plan_names, plan_probs = list(PLANS), np.array(PLAN_PROBS)
    if w >= 12:
        family = 0.08 + 0.005 * (w - 12)
        plan_names.append("family")
        plan_probs = np.append(plan_probs * (1 - family), family)
    plan = rng.choice(plan_names, size=n, p=plan_probs / plan_probs.sum())

    region_w = REGION_PROBS.copy()
    if w >= 10:
        for name, mult in REGION_SHIFT.items():
            region_w[REGIONS.index(name)] *= mult
    region = rng.choice(REGIONS, size=n, p=region_w / region_w.sum())

    price_factor = 1.0
    if w >= 8:
        price_factor = 1.06 + 0.015 * (w - 8)
    base_price = np.array([PLAN_PRICE[p] for p in plan])
    monthly_charges = np.round(np.maximum(5.0, base_price * price_factor + rng.normal(0, 7, n)), 2)

    tenure = np.clip(np.round(rng.gamma(1.6, 14, n)), 1, 72).astype("int64")
    # overdispersed count: negative binomial with mean ~1.5
    tickets = rng.negative_binomial(0.9, 0.9 / (0.9 + 1.5), n).astype("int64")
    days_login = np.round(rng.exponential(6.0, n)).astype("float64")
    days_login[rng.random(n) < 0.01] = np.nan
    session = np.round(rng.lognormal(3.0, 0.45, n), 1)
    discount = np.where(rng.random(n) < 0.6, 0.0, np.round(rng.beta(2, 5, n) * 40, 1))
    products = np.clip(rng.poisson(1.2, n) + 1, 1, 5).astype("int64")
    age = np.clip(np.round(rng.normal(44, 13, n)), 18, 90).astype("int64")
    payment = rng.choice(PAYMENT, size=n, p=PAYMENT_PROBS)
    device = rng.choice(DEVICE, size=n, p=DEVICE_PROBS)
    return pd.DataFrame({
        "tenure_months": tenure, "monthly_charges": monthly_charges, "support_tickets_30d": tickets,
        "days_since_last_login": days_login, "avg_session_minutes": session, "discount_pct": discount,
        "num_products": products, "age": age, "plan": plan, "region": region,
        "payment_method": payment, "device_os": device,
    })


def true_churn_probability(x: pd.DataFrame, week: int | None) -> np.ndarray:
    """The real world's churn mechanism. From week 16 tickets stop predicting churn (concept drift)."""
    ticket_coef = -0.25 if (week or 0) >= 16 else 0.55
    # monthly charges relative to the plan's list price: customers react to the bill
    days = x["days_since_last_login"].fillna(6.0)
    logit = (
        -1.55
        - 0.045 * x["tenure_months"]
        + 0.035 * (x["monthly_charges"] - 55)
        + ticket_coef * x["support_tickets_30d"]
        + 0.09 * days
        - 0.025 * (x["avg_session_minutes"].clip(upper=200) - 20)
        - 0.03 * x["discount_pct"]
        - 0.25 * (x["num_products"] - 1)
        - 0.012 * (x["age"] - 44)
        + np.where(x["payment_method"] == "invoice", 0.6, 0.0)
        + np.where(x["plan"] == "basic", 0.35, 0.0)
        + np.where(x["device_os"] == "web", 0.25, 0.0)
    )
    return 1.0 / (1.0 + np.exp(-logit.to_numpy(dtype=float)))


def fit_model(baseline: pd.DataFrame):
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NUMERIC),
        ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
    ])
    model = make_pipeline(pre, LogisticRegression(max_iter=2000, C=1.0))
    model.fit(baseline[FEATURES], baseline["churned"])
    return model


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    grid = np.round(np.arange(0.10, 0.71, 0.01), 2)
    scores = [f1_score(y, (p >= t).astype(int)) for t in grid]
    return float(grid[int(np.argmax(scores))])


def event_times(rng: np.random.Generator, n: int, start: pd.Timestamp, days: int) -> pd.Series:
    seconds = np.sort(rng.integers(0, days * 86400, n))
    return pd.Series(start + pd.to_timedelta(seconds, unit="s")).astype("datetime64[ns, UTC]")


def generate(out: Path) -> dict:
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)

    # -- baseline: training period with labels ---------------------------------------------------
    base = draw_customers(rng, N_BASELINE, None)
    base["churned"] = (rng.random(N_BASELINE) < true_churn_probability(base, None)).astype("int64")
    model = fit_model(base)
    base_score = np.round(model.predict_proba(base[FEATURES])[:, 1], 6)  # as stored
    threshold = best_f1_threshold(base["churned"].to_numpy(), base_score)
    baseline = pd.concat([
        pd.DataFrame({"customer_id": [f"B{i:07d}" for i in range(1, N_BASELINE + 1)],
                      "event_time": event_times(rng, N_BASELINE, BASELINE_START, 7 * N_WEEKS)}),
        base.drop(columns="churned"),
        pd.DataFrame({"churn_score": base_score,
                      "churn_pred": (base_score >= threshold).astype("int64"),
                      "churned": base["churned"]}),
    ], axis=1)
    baseline.to_parquet(out / "baseline.parquet", index=False)

    # -- production: 26 weekly batches, scored by the model on the inputs it actually received ----
    weeks, all_truth, next_id = [], [], 1
    prod_dir = out / "production"
    for week in range(1, N_WEEKS + 1):
        n = int(rng.integers(8_000, 12_001))
        x = draw_customers(rng, n, week)
        churned = (rng.random(n) < true_churn_probability(x, week)).astype("int64")
        seen = x.copy()  # what the pipeline receives
        if week == 14:
            burst = rng.random(n) < 0.06
            seen.loc[burst, "avg_session_minutes"] = np.round(seen.loc[burst, "avg_session_minutes"] * 60, 1)
        if week == 22:
            seen.loc[rng.random(n) < 0.6, "days_since_last_login"] = np.nan
        scored_inputs = seen.copy()
        if week == 20:  # the model's feature lookup finds no monthly_charges: imputed as the median
            scored_inputs["monthly_charges"] = np.nan
        score = np.round(model.predict_proba(scored_inputs[FEATURES])[:, 1], 6)  # as stored
        start = PRODUCTION_START + pd.Timedelta(weeks=week - 1)
        ids = [f"P{i:07d}" for i in range(next_id, next_id + n)]
        next_id += n
        batch = pd.concat([
            pd.DataFrame({"customer_id": ids, "event_time": event_times(rng, n, start, 7)}),
            seen,
            pd.DataFrame({"churn_score": score, "churn_pred": (score >= threshold).astype("int64")}),
        ], axis=1)
        if week == 20:
            batch.insert(batch.columns.get_loc("monthly_charges"), "monthly_charge_usd",
                         batch["monthly_charges"].map(lambda v: f"${v:,.2f}"))
            batch = batch.drop(columns="monthly_charges")
        folder = prod_dir / f"week={week_label(week)}"
        folder.mkdir(parents=True, exist_ok=True)
        batch.to_parquet(folder / "part-0.parquet", index=False)

        pred = batch["churn_pred"].to_numpy()
        weeks.append({
            "week": week, "label": week_label(week), "start": start.isoformat(), "n": n,
            "roc_auc": round(float(roc_auc_score(churned, score)), 6),
            "accuracy": round(float(accuracy_score(churned, pred)), 6),
            "f1": round(float(f1_score(churned, pred)), 6),
            "churn_rate": round(float(churned.mean()), 6),
        })
        all_truth.append(pd.DataFrame({"customer_id": ids, "event_time": batch["event_time"],
                                       "churned": churned, "churn_score": score}))

    # -- labels: mature ~30 days after the event; recent weeks only via a score-biased audit -------
    truth = pd.concat(all_truth, ignore_index=True)
    delay_days = np.clip(rng.normal(30, 4, len(truth)), 18, 50)
    label_time = truth["event_time"] + pd.to_timedelta(np.round(delay_days * 86400), unit="s")
    matured = (label_time <= AS_OF).to_numpy()
    # audit: inclusion probability rises with the score, scaled to ~10% of the unmatured rows
    raw = 0.2 + truth["churn_score"].to_numpy()
    scale = AUDIT_RATE_TARGET / raw[~matured].mean()
    inclusion = np.clip(raw * scale, 0.0, 1.0)
    audited = ~matured & (rng.random(len(truth)) < inclusion)
    audit_time = truth["event_time"] + pd.to_timedelta(np.round(rng.uniform(2, 6, len(truth)) * 86400), unit="s")
    audit_time = audit_time.where(audit_time <= AS_OF, AS_OF)
    keep = matured | audited
    labels = pd.DataFrame({
        "customer_id": truth["customer_id"], "churned": truth["churned"],
        "label_time": label_time.where(matured, audit_time),
        "source": np.where(matured, "matured", "audit"),
        "inclusion_prob": np.where(matured, 1.0, np.round(inclusion, 6)),
    })[keep].reset_index(drop=True)
    # realism: a few labels delivered twice, a few for customers we never scored
    dupes = labels.sample(n=40, random_state=int(rng.integers(1 << 31)))
    orphans = pd.DataFrame({
        "customer_id": [f"X{i:07d}" for i in range(1, 26)], "churned": rng.integers(0, 2, 25),
        "label_time": AS_OF - pd.Timedelta(days=3), "source": "matured", "inclusion_prob": 1.0,
    })
    labels = pd.concat([labels, dupes, orphans], ignore_index=True)
    labels["churned"] = labels["churned"].astype("int64")
    labels["label_time"] = labels["label_time"].astype("datetime64[ns, UTC]")
    labels.to_parquet(out / "labels.parquet", index=False)

    week_of_row = np.repeat(np.arange(1, N_WEEKS + 1), [w["n"] for w in weeks])
    for w in weeks:
        mask = week_of_row == w["week"]
        w["label_coverage"] = round(float(keep[mask].mean()), 6)
        w["fully_labelled"] = bool(matured[mask].all())
    manifest = {
        "seed": SEED, "as_of": AS_OF.isoformat(), "decision_threshold": threshold,
        "n_baseline": N_BASELINE, "baseline_roc_auc": round(float(roc_auc_score(base["churned"], base_score)), 6),
        "baseline_accuracy": round(float(accuracy_score(base["churned"], baseline["churn_pred"])), 6),
        "baseline_f1": round(float(f1_score(base["churned"], baseline["churn_pred"])), 6),
        "features": FEATURES, "target": "churned", "score": "churn_score", "prediction": "churn_pred",
        "timestamp": "event_time", "id": "customer_id",
        "labels": {"duplicate_rows": len(dupes), "orphan_labels": len(orphans),
                   "audit_rate_target": AUDIT_RATE_TARGET},
        "events": EVENTS, "weeks": weeks,
    }
    (out / "truth.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    manifest = generate(args.out)
    print(f"wrote demo scenario to {args.out}: baseline AUC {manifest['baseline_roc_auc']:.3f}, "
          f"threshold {manifest['decision_threshold']}")
    for w in manifest["weeks"]:
        print(f"  week {w['label']}: n={w['n']:>6}  auc={w['roc_auc']:.3f}  acc={w['accuracy']:.3f}  "
              f"f1={w['f1']:.3f}  churn={w['churn_rate']:.3f}  labelled={w['label_coverage']:.2f}")


if __name__ == "__main__":
    main()
