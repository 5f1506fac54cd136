"""Tests of the financial plan calculation, with helpers that load opstap/plans/samples/."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from opstap.plans.calculation import FinancialPlan, plan_from_json

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def sample_json(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def sample(name: str) -> FinancialPlan:
    return plan_from_json(sample_json(name))


def d(text: str) -> Decimal:
    return Decimal(text)
