"""A fraud team's comparison: 60,000 card payments, 1 % fraud, an alert budget.

Writes ``payments.csv``: 15 skewed numeric columns with missing values
(amounts, counts, ratios), three categorical columns (one with 1,500
merchants), a payment id, and a ``label`` that is ``'fraud'`` for about 1 %
of the rows, driven by threshold-like effects (a new card paying a large
amount at night, a risky merchant category) and smooth ones. Then it runs
the default comparison, deciding where a fraud team does: the top 1 % of
payments are reviewed,

    skimb compare --data payments.csv --target label --operating-point alert-rate=0.01

and checks the saved model on the held-out part: it flags 1 % of the rows,
with the precision and recall the table gives.

python examples/fraud.py [--rows 60000] [--max-epochs N] [--output DIR]
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

import skimb
from skimb.evaluation._report import format_leaderboard, format_verdict

POINT = "alert-rate=0.01"


def write_payments(path, rows=60_000, seed=0, merchant_risk=0.0):
    """The payments table; about 1 % of its rows are fraud.

    ``merchant_risk`` > 0 gives each merchant a fraud log-odds of its own
    (normal, of that standard deviation), so the merchant column carries
    signal; at 0 (the example) it is noise.
    """
    rng = np.random.default_rng(seed)
    amount = np.round(rng.lognormal(3.5, 1.2, rows), 2)
    card_age_days = rng.gamma(1.2, 300, rows)
    hour = rng.integers(0, 24, rows)
    night = (hour < 6).astype(float)
    frame = pd.DataFrame(
        {
            "payment_id": rng.permutation(rows) + 10_000_000,
            "amount": amount,
            "card_age_days": np.round(card_age_days),
            "hour": hour,
            "n_payments_24h": rng.poisson(2.0, rows),
            "n_cards_on_device": rng.geometric(0.7, rows),
            "km_from_home": np.round(rng.lognormal(2.0, 1.5, rows), 1),
            "account_balance": np.round(rng.lognormal(7.0, 1.0, rows), 2),
            "avg_amount_30d": np.round(rng.lognormal(3.5, 0.8, rows), 2),
            "declines_7d": rng.poisson(0.2, rows),
            "chargebacks_1y": rng.poisson(0.05, rows),
            "session_seconds": np.round(rng.lognormal(4.0, 1.0, rows)),
            "typing_speed": rng.normal(5.0, 1.5, rows),
            "email_age_days": np.round(rng.gamma(1.5, 500, rows)),
            "ip_risk": rng.beta(1.0, 8.0, rows),
            "merchant_fraud_rate": rng.beta(1.0, 200.0, rows),
        }
    )
    frame["amount_ratio"] = np.round(frame["amount"] / frame["avg_amount_30d"], 3)
    category = rng.choice(
        ["grocery", "fuel", "travel", "electronics", "gift_cards", "dining"],
        rows,
        p=[0.3, 0.2, 0.1, 0.15, 0.05, 0.2],
    )
    frame["category"] = category
    frame["channel"] = rng.choice(["web", "app", "pos"], rows, p=[0.4, 0.3, 0.3])
    frame["merchant"] = [f"m{i:04d}" for i in rng.zipf(1.3, rows) % 1500]
    # The fraud: threshold-like and smooth effects on the log-odds.
    logit = (
        -7.6
        + 3.0 * ((card_age_days < 30) & (amount > 150))
        + 2.0 * night * (frame["km_from_home"] > 50)
        + 1.8 * np.isin(category, ["gift_cards", "electronics"])
        + 1.5 * (frame["n_cards_on_device"] >= 3)
        + 7.0 * frame["ip_risk"]
        + 0.8 * np.log1p(frame["declines_7d"])
        + 1.0 * np.tanh(np.log(frame["amount_ratio"]))
        + 80.0 * frame["merchant_fraud_rate"]
    )
    if merchant_risk:  # its own generator: the example's draws stay as they are
        risk = np.random.default_rng(seed + 1).normal(0.0, merchant_risk, 1500)
        logit = (
            logit + risk[frame["merchant"].str[1:].astype(int)] - merchant_risk**2 / 2
        )
    fraud = rng.random(rows) < 1 / (1 + np.exp(-logit))
    # Missing values, as card payments have them.
    for column, share in [
        ("km_from_home", 0.15),
        ("session_seconds", 0.2),
        ("typing_speed", 0.3),
        ("email_age_days", 0.05),
        ("account_balance", 0.1),
    ]:
        frame.loc[rng.random(rows) < share, column] = np.nan
    frame["label"] = np.where(fraud, "fraud", "ok")
    frame.to_csv(path, index=False)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--max-epochs", type=int, default=None)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--output", default="skimb-results/fraud")
    args = parser.parse_args(argv)

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    path = write_payments(output / "payments.csv", rows=args.rows)
    result = skimb.compare(
        str(path),
        target="label",
        positive_label="fraud",
        operating_point=POINT,
        cv=args.cv,
        max_epochs=args.max_epochs,
        output=output,
    )
    print(format_leaderboard(result))
    print()
    print(format_verdict(result))

    # The saved model on the held-out part, as a fraud team would run it.
    rows = result.rows
    method = result.model_info["method"]
    held_out = rows[
        (rows["method"] == method)
        & (rows["fold"] == "test")
        & (rows["rule"] == "trained")
    ].iloc[0]
    print(
        f"\n{method} on the held-out part at {POINT}: flags "
        f"{held_out['alert_rate_at']:.2%} of the payments, precision "
        f"{held_out['precision_at']:.3f}, recall {held_out['recall_at']:.3f}."
    )
    return result


if __name__ == "__main__":
    main()
