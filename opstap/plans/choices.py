"""The fixed vocabularies of business plans."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ASSESSED = "assessed", _("Assessed")


class Verdict(models.TextChoices):
    VIABLE = "viable", _("Viable")
    VIABLE_WITH_CONDITIONS = "viable_with_conditions", _("Viable with conditions")
    NOT_VIABLE = "not_viable", _("Not viable")


class AssessmentOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    VIABLE = "viable", _("Viable")
    VIABLE_WITH_CONDITIONS = "viable_with_conditions", _("Viable with conditions")
    NOT_VIABLE = "not_viable", _("Not viable")


class Section(models.TextChoices):
    """The narrative sections, in the order the guided editor walks through them."""

    ENTREPRENEUR = "entrepreneur", _("The entrepreneur")
    IDEA = "idea", _("The idea and the product")
    MARKET = "market", _("Market and customers")
    COMPETITORS = "competitors", _("Competitors")
    SWOT = "swot", _("Strengths, weaknesses, opportunities, threats")
    MARKETING = "marketing", _("Marketing mix")
    ORGANISATION = "organisation", _("Organisation and legal form")
    PERMITS = "permits", _("Permits")
    RISKS = "risks", _("Risks and what-ifs")


# Plain-language (B1) guidance per section, shown beside the text box.
GUIDANCE = {
    Section.ENTREPRENEUR: _(
        "Who are you? Write about your work experience, your education and why you want to "
        "start this business. Which skills do you already have, and which do you still need?"
    ),
    Section.IDEA: _(
        "What will you sell? Describe the product or service, what makes it different and "
        "what problem it solves for the customer."
    ),
    Section.MARKET: _(
        "Who will buy from you? Describe your customers: who they are, where they live, how "
        "many there are and how much they spend. How do you know?"
    ),
    Section.COMPETITORS: _(
        "Who else sells the same or something like it? What do they do well, and what will "
        "you do better or differently?"
    ),
    Section.SWOT: _(
        "List your strengths and weaknesses (about you and your business) and the "
        "opportunities and threats around you (the market, rules, the economy)."
    ),
    Section.MARKETING: _(
        "Product, price, place and promotion: what exactly do you sell, at what price, where "
        "do customers buy it and how will they hear about you?"
    ),
    Section.ORGANISATION: _(
        "How will you organise the work? Will you work alone or with others? Which legal "
        "form do you choose (for example a sole trader) and why?"
    ),
    Section.PERMITS: _(
        "Which permits, registrations, diplomas or insurances do you need? Which do you "
        "have already, and when will you have the rest?"
    ),
    Section.RISKS: _(
        "What could go wrong? For each risk, say what you would do. What if you sell less "
        "than planned, fall ill or lose an important customer?"
    ),
}

DECISION_WEEKS = 13
