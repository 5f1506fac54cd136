"""Roles a member can hold in an organisation, and what each role may do.

The capability table is the one place that decides which role sees what; views, querysets
and templates ask for a capability, never for a role name.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", _("Organisation admin")
    ADVISER = "adviser", _("Adviser")
    VOLUNTEER = "volunteer", _("Volunteer coach")
    LOAN_OFFICER = "loan_officer", _("Loan officer")
    COMMITTEE = "committee", _("Credit committee member")
    BENEFITS_OFFICER = "benefits_officer", _("Benefits officer")
    JOB_COACH = "job_coach", _("Job coach")
    PROGRAMME_MANAGER = "programme_manager", _("Programme manager")
    AUDITOR = "auditor", _("Auditor")


class Capability(models.TextChoices):
    VIEW_ALL_CLIENTS = "view_all_clients", _("See every client file of the organisation")
    VIEW_ASSIGNED_CLIENTS = "view_assigned_clients", _("See the client files assigned to them")
    EDIT_CLIENTS = "edit_clients", _("Create and edit client files")
    VIEW_FINANCIAL = "view_financial", _("See income, benefit and loan data")
    VIEW_NATIONAL_NUMBER = "view_national_number", _("See national numbers unmasked")
    VIEW_SPECIAL_CATEGORIES = (
        "view_special_categories",
        _("See residence status, disability and minority background"),
    )
    MANAGE_CONSENT = "manage_consent", _("Record and withdraw consent")
    MANAGE_DOCUMENTS = "manage_documents", _("Upload client documents")
    MANAGE_MEMBERS = "manage_members", _("Manage members and roles")
    READ_AUDIT = "read_audit", _("Read the audit and access logs")
    VIEW_AGGREGATES = "view_aggregates", _("See aggregated figures")
    MANAGE_PROGRAMMES = "manage_programmes", _("Set up programmes, targets and route types")
    VIEW_LOANS = "view_loans", _("See loan applications and loans")
    PREPARE_LOAN_APPLICATIONS = "prepare_loan_applications", _("Prepare loan applications")
    SERVICE_LOANS = "service_loans", _("Disburse, post repayments and restructure loans")
    DECIDE_LOANS = "decide_loans", _("Decide on loan applications in the credit committee")
    MANAGE_LOAN_PRODUCTS = "manage_loan_products", _("Set up loan products")
    WRITE_PLANS = "write_plans", _("Write business plans with clients")
    ASSESS_VIABILITY = "assess_viability", _("Decide on the viability of business plans")


C = Capability
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.ORG_ADMIN: frozenset(
        {
            C.VIEW_ALL_CLIENTS,
            C.EDIT_CLIENTS,
            C.VIEW_FINANCIAL,
            C.VIEW_NATIONAL_NUMBER,
            C.VIEW_SPECIAL_CATEGORIES,
            C.MANAGE_CONSENT,
            C.MANAGE_DOCUMENTS,
            C.MANAGE_MEMBERS,
            C.READ_AUDIT,
            C.VIEW_AGGREGATES,
            C.MANAGE_PROGRAMMES,
            C.VIEW_LOANS,
            C.MANAGE_LOAN_PRODUCTS,
        }
    ),
    Role.ADVISER: frozenset(
        {
            C.VIEW_ALL_CLIENTS,
            C.EDIT_CLIENTS,
            C.VIEW_FINANCIAL,
            C.VIEW_NATIONAL_NUMBER,
            C.VIEW_SPECIAL_CATEGORIES,
            C.MANAGE_CONSENT,
            C.MANAGE_DOCUMENTS,
            C.VIEW_LOANS,
            C.PREPARE_LOAN_APPLICATIONS,
            C.WRITE_PLANS,
        }
    ),
    # A volunteer coaches assigned clients: contact and plan, never money or identity numbers
    # (so the narrative of a business plan, not its financial plan).
    Role.VOLUNTEER: frozenset({C.VIEW_ASSIGNED_CLIENTS, C.WRITE_PLANS}),
    Role.LOAN_OFFICER: frozenset(
        {
            C.VIEW_ALL_CLIENTS,
            C.VIEW_FINANCIAL,
            C.VIEW_NATIONAL_NUMBER,
            C.MANAGE_DOCUMENTS,
            C.VIEW_LOANS,
            C.PREPARE_LOAN_APPLICATIONS,
            C.SERVICE_LOANS,
        }
    ),
    # Committee members decide; they never prepare, so maker and checker stay apart.
    Role.COMMITTEE: frozenset({C.VIEW_ALL_CLIENTS, C.VIEW_FINANCIAL, C.VIEW_LOANS, C.DECIDE_LOANS}),
    Role.BENEFITS_OFFICER: frozenset(
        {
            C.VIEW_ALL_CLIENTS,
            C.EDIT_CLIENTS,
            C.VIEW_FINANCIAL,
            C.VIEW_NATIONAL_NUMBER,
            C.VIEW_SPECIAL_CATEGORIES,
            C.MANAGE_CONSENT,
            C.MANAGE_DOCUMENTS,
            # Municipal business-capital loans (Bbz) are run by benefits officers.
            C.VIEW_LOANS,
            C.PREPARE_LOAN_APPLICATIONS,
            C.SERVICE_LOANS,
            C.WRITE_PLANS,
            # The municipality decides on viability for Bbz support.
            C.ASSESS_VIABILITY,
        }
    ),
    # A job coach records the situation at entry, residence status included (it decides which
    # placements are allowed), but sees no money.
    Role.JOB_COACH: frozenset(
        {
            C.VIEW_ALL_CLIENTS,
            C.EDIT_CLIENTS,
            C.VIEW_SPECIAL_CATEGORIES,
            C.MANAGE_CONSENT,
            C.MANAGE_DOCUMENTS,
            C.WRITE_PLANS,
        }
    ),
    Role.PROGRAMME_MANAGER: frozenset({C.VIEW_ALL_CLIENTS, C.VIEW_AGGREGATES, C.MANAGE_PROGRAMMES}),
    # Auditors read aggregated, pseudonymised figures only: no client file at all.
    Role.AUDITOR: frozenset({C.VIEW_AGGREGATES}),
}


# The fields of a client file that not every role that opens the file may read, and the
# capability each needs (docs/security.md, "Who sees which field"). Pages, exports and the
# client's timeline follow this table; a test renders the file for every role against it.
SENSITIVE_CLIENT_FIELDS: dict[str, str] = {
    "national_number": C.VIEW_NATIONAL_NUMBER,
    "income_source": C.VIEW_FINANCIAL,
    "income_monthly": C.VIEW_FINANCIAL,
    "iban": C.VIEW_FINANCIAL,
    "residence_status": C.VIEW_SPECIAL_CATEGORIES,
    "has_disability": C.VIEW_SPECIAL_CATEGORIES,
    "minority_background": C.VIEW_SPECIAL_CATEGORIES,
}


def capabilities_of(roles: set[str] | frozenset[str]) -> frozenset[str]:
    result: set[str] = set()
    for role in roles:
        result |= ROLE_CAPABILITIES.get(role, frozenset())
    return frozenset(result)
