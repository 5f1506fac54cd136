"""The contract with its schedule as a real PDF, in the client's language."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from opstap.clients.tests.factories import ClientFactory
from opstap.core.models import FileAccess
from opstap.lending import pdf

from .helpers import D, disbursed_loan

pytestmark = pytest.mark.django_db

RECENT = timezone.localdate() - datetime.timedelta(days=10)


def page_text(document) -> str:
    """The text WeasyPrint laid out on the pages (pypdf and pdftotext are not installed)."""
    found: list[str] = []

    def walk(box) -> None:
        text = getattr(box, "text", None)
        if text:
            found.append(text)
        for child in getattr(box, "children", None) or []:
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return " ".join(found)


def loan_for(world, language: str, **client_fields):
    client = ClientFactory(
        organisation=world.own,
        first_name="Fatima",
        last_name="El Idrissi",
        preferred_language=language,
        **client_fields,
    )
    return disbursed_loan(world, client=client, amount=D("7500.00"), on=RECENT)


def test_download_is_a_pdf_and_is_logged(world, login):
    loan = loan_for(world, "nl")
    http = login(world["loan_officer"])
    before = FileAccess.objects.filter(client=loan.client).count()
    response = http.get(reverse("lending:contract", args=[loan.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"contract-{loan.reference}.pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    access = FileAccess.objects.filter(client=loan.client).order_by("-id")
    assert access.count() == before + 1
    assert access[0].purpose == FileAccess.Purpose.DOCUMENT_DOWNLOAD
    assert access[0].user == world["loan_officer"]


def test_a_french_speaking_client_gets_a_french_contract(world):
    loan = loan_for(world, "fr")
    assert pdf.contract_language(loan) == "fr"
    content = pdf.contract_pdf(loan)
    assert content.startswith(b"%PDF")
    text = page_text(pdf.contract_document(loan))
    assert "7 500,00" in text.replace("\u202f", " ").replace("\xa0", " ")
    assert "Fatima El Idrissi" in text
    assert loan.reference in text
    for word in ("Contrat de prêt", "Emprunteur", "Prêteur", "Signature", "Total"):
        assert word in text, word
    assert "Borrower" not in text


def test_a_dutch_speaking_client_gets_a_dutch_contract(world):
    loan = loan_for(world, "nl")
    text = page_text(pdf.contract_document(loan))
    assert "7.500,00" in text
    for word in ("Leningsovereenkomst", "Kredietnemer", "Handtekening"):
        assert word in text, word


def test_without_a_language_opstap_speaks_the_organisation_decides(world):
    world.own.default_language = "fr"
    world.own.save()
    loan = loan_for(world, "ar")
    assert pdf.contract_language(loan) == "fr"
    text = page_text(pdf.contract_document(loan))
    assert "Emprunteur" in text


def test_the_schedule_and_its_totals_are_in_the_contract(world):
    loan = loan_for(world, "en")
    text = page_text(pdf.contract_document(loan))
    rows = list(loan.installments.filter(is_current=True))
    assert len(rows) == 12
    total = sum(r.total for r in rows)
    assert f"{total:,.2f}" in text
    assert "Signature" in text and "Place and date" in text


def test_a_long_schedule_breaks_between_rows_and_totals_once_at_the_end(world):
    """Issue 9: the "Total" row repeated at the foot of page 1 (a <tfoot> repeats at every
    page break); rows are not cut in two either."""
    client = ClientFactory(organisation=world.own, preferred_language="en")
    loan = disbursed_loan(world, client=client, amount=D("12000.00"), on=RECENT, repayments=48)
    document = pdf.contract_document(loan)
    assert len(document.pages) >= 2
    texts = []
    for page in document.pages:
        found: list[str] = []

        def walk(box, found=found) -> None:
            if getattr(box, "text", None):
                found.append(box.text)
            for child in getattr(box, "children", None) or []:
                walk(child)

        walk(page._page_box)
        texts.append(" ".join(found))
    # The schedule's total is printed once; the pages after it hold the signatures.
    totals = [number for number, text in enumerate(texts) if "Total" in text.split()]
    assert len(totals) == 1, totals
