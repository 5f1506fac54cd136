"""The plan as PDF: a real PDF whose text (pdftotext) shows the verdict and the key figures,
in the client's preferred language (else the organisation's), and the download is logged."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format

from opstap.core.models import FileAccess
from opstap.plans import pdf, services

from .helpers import new_plan, sample_financial, with_assumptions

pytestmark = pytest.mark.django_db

PDFTOTEXT = "/usr/bin/pdftotext"


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    result = subprocess.run(
        [PDFTOTEXT, "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    # Thin and non-breaking spaces become plain spaces; runs of spaces one.
    text = result.stdout.decode()
    return re.sub(r"[ \u00a0\u202f]+", " ", text)


def amount(value: str, language: str) -> str:
    with translation.override(language):
        text = number_format(Decimal(value), 2, force_grouping=True)
    return re.sub(r"[ \u00a0\u202f]+", " ", text)


def plan_for(world, language: str, sample: str = "bakery"):
    with_assumptions(world)
    plan = new_plan(world)
    plan.client.preferred_language = language
    plan.client.save(update_fields=["preferred_language"])
    version = plan.versions.get()
    services.plan_section_save(
        actor=world["adviser"], version=version, section="idea", text="Brood uit eigen oven."
    )
    services.plan_financial_save(
        actor=world["adviser"], version=version, financial=sample_financial(sample)
    )
    version.refresh_from_db()
    return plan, version


def test_the_pdf_shows_the_narrative_verdict_key_figures_and_the_cash_flow(world, login):
    plan, version = plan_for(world, "en")
    evaluation = version.evaluation
    response = login(world["adviser"]).get(reverse("plans:pdf", args=[plan.pk, 1]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Verdict: Viable" in text
    assert "Brood uit eigen oven." in text
    assert amount(evaluation["years"][0]["profit_before_tax"], "en") in text
    assert amount(evaluation["gross_income_needed_per_year"], "en") in text
    assert amount(evaluation["investment_total"], "en") in text
    # The cash flow: one table per plan year, the closing cash of month 36 in it.
    assert "Year 3" in text
    assert amount(evaluation["months"][35]["closing_cash"], "en") in text
    # The checks in plain words, not the calculation's English reason.
    assert "The plan is financed" in text
    assert evaluation["checks"][0]["reason"] not in text
    # The download is a look at the client's file.
    access = FileAccess.objects.get()
    assert (access.client_id, access.purpose) == (plan.client_id, "document_download")


def test_a_french_speaking_clients_pdf_is_in_french(world):
    plan, version = plan_for(world, "fr")
    assert pdf.plan_language(version) == "fr"
    text = pdf_text(pdf.plan_pdf(version))
    evaluation = version.evaluation
    # French number formatting of the figures (independent of the catalogue).
    assert amount(evaluation["years"][0]["profit_before_tax"], "fr") in text
    assert amount(evaluation["years"][0]["profit_before_tax"], "fr") != amount(
        evaluation["years"][0]["profit_before_tax"], "en"
    )
    # Headings in French, as the catalogue has them.
    with translation.override("fr"):
        month = translation.gettext("Month")
        key_figures = translation.gettext("Key figures")
    assert month == "Mois" and "Mois" in text
    assert key_figures != "Key figures" and key_figures in text


def test_without_a_preferred_language_the_organisations_language_is_used(world):
    plan, version = plan_for(world, "")
    world.own.default_language = "fr"
    world.own.save(update_fields=["default_language"])
    version.plan.organisation.refresh_from_db()
    assert pdf.plan_language(version) == "fr"
    plan.client.preferred_language = "ar"  # not one Opstap speaks: the organisation's
    assert pdf.plan_language(version) == "fr"


def test_a_plan_without_figures_still_prints(world):
    with_assumptions(world)
    plan = new_plan(world)
    text = pdf_text(pdf.plan_pdf(plan.versions.get(), "en"))
    assert plan.title in text and "has not been calculated yet" in text
