"""Financial plan evaluation time (the lead's `make bench` prints run()'s lines).

The case is the bakery sample (opstap/plans/samples/bakery.json) with a second loan: 36
months, five fixed costs, three investments, two loans from the lending engine. Each run
parses the JSON, evaluates and writes the evaluation's JSON, as the Django layer does when a
plan is saved. Target: median and p95 under 20 ms.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from opstap.plans.calculation import evaluate, evaluation_to_json, plan_from_json

TARGET_MS = 20.0
RUNS = 500
SAMPLE = Path(__file__).resolve().parent.parent / "opstap" / "plans" / "samples" / "bakery.json"


def bench_plan() -> dict[str, Any]:
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    data["loans"].append(
        {
            "description": "Equipment lease",
            "amount": "6000.00",
            "interest_rate": "9.5",
            "term_months": 60,
            "grace_months": 3,
            "month": 7,
            "amortization": "equal_principal",
        }
    )
    return data


def _time(runs: int, call: Any) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20, method="inclusive")[-1]


def run(runs: int = RUNS) -> list[str]:
    data = bench_plan()
    plan = plan_from_json(data)
    for _ in range(20):  # warm caches before timing
        evaluation_to_json(evaluate(plan_from_json(data)))
    full = _time(runs, lambda: evaluation_to_json(evaluate(plan_from_json(data))))
    core = _time(runs, lambda: evaluate(plan))
    median, p95 = statistics.median(full), _p95(full)
    verdict = "meets" if p95 < TARGET_MS else "BELOW"
    return [
        "financial plan evaluation (36 months, 2 loans via the lending engine, "
        f"{runs} runs, one core)",
        f"  parse + evaluate + JSON: median {median:.2f} ms, p95 {p95:.2f} ms "
        f"({verdict} the {TARGET_MS:.0f} ms target)",
        f"  evaluate only:           median {statistics.median(core):.2f} ms, "
        f"p95 {_p95(core):.2f} ms",
    ]


if __name__ == "__main__":
    print("\n".join(run()))
