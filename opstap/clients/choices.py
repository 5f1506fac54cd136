from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    # The three ESF+ categories, plus unknown.
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    NON_BINARY = "non_binary", _("Non-binary")
    UNKNOWN = "unknown", _("Unknown")


class Household(models.TextChoices):
    SINGLE = "single", _("Single")
    COUPLE = "couple", _("Couple")
    SINGLE_PARENT = "single_parent", _("Single parent")


class IncomeSource(models.TextChoices):
    SOCIAL_ASSISTANCE = "social_assistance", _("Social assistance / living wage")
    UNEMPLOYMENT_BENEFIT = "unemployment_benefit", _("Unemployment benefit")
    DISABILITY_BENEFIT = "disability_benefit", _("Disability benefit")
    NONE = "none", _("No income")
    OTHER = "other", _("Other")


class LabourStatus(models.TextChoices):
    UNEMPLOYED = "unemployed", _("Unemployed")
    LONG_TERM_UNEMPLOYED = "long_term_unemployed", _("Long-term unemployed")
    INACTIVE = "inactive", _("Inactive")
    EMPLOYED = "employed", _("Employed")
    SELF_EMPLOYED = "self_employed", _("Self-employed")


class Education(models.IntegerChoices):
    # ISCED 2011 levels, as the ESF+ participant indicators use them.
    ISCED_0 = 0, _("ISCED 0 – early childhood education or none")
    ISCED_1 = 1, _("ISCED 1 – primary education")
    ISCED_2 = 2, _("ISCED 2 – lower secondary education")
    ISCED_3 = 3, _("ISCED 3 – upper secondary education")
    ISCED_4 = 4, _("ISCED 4 – post-secondary non-tertiary education")
    ISCED_5 = 5, _("ISCED 5 – short-cycle tertiary education")
    ISCED_6 = 6, _("ISCED 6 – bachelor or equivalent")
    ISCED_7 = 7, _("ISCED 7 – master or equivalent")
    ISCED_8 = 8, _("ISCED 8 – doctorate or equivalent")


class ResidenceStatus(models.TextChoices):
    NATIONAL = "national", _("National")
    EU_CITIZEN = "eu_citizen", _("EU citizen")
    THIRD_COUNTRY = "third_country", _("Third-country national")
    RECOGNISED_REFUGEE = "recognised_refugee", _("Recognised refugee")
    SUBSIDIARY_PROTECTION = "subsidiary_protection", _("Subsidiary protection")
    ASYLUM_SEEKER = "asylum_seeker", _("Asylum seeker")


class ConsentPurpose(models.TextChoices):
    CASE_MANAGEMENT = "case_management", _("Case management")
    PARTNER_SHARING = "partner_sharing", _("Sharing with a partner organisation")
    SPECIAL_CATEGORY = (
        "special_category",
        _("Special-category data (disability, minority background)"),
    )
    RESEARCH = "research", _("Research and impact study")


class LegalBasis(models.TextChoices):
    # GDPR article 6(1).
    CONSENT = "consent", _("Consent")
    CONTRACT = "contract", _("Contract")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")
    PUBLIC_TASK = "public_task", _("Public task")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")


class DocumentKind(models.TextChoices):
    ID_COPY = "id_copy", _("Copy of identity document")
    CONTRACT = "contract", _("Contract")
    PLAN = "plan", _("Plan")
    OTHER = "other", _("Other")


# Languages offered for "languages spoken": the ones clients of these programmes speak most
# (DOMAIN.md); anything else goes under "other" with free text in notes.
LANGUAGE_CHOICES = [
    ("nl", _("Dutch")),
    ("fr", _("French")),
    ("en", _("English")),
    ("de", _("German")),
    ("ar", _("Arabic")),
    ("tr", _("Turkish")),
    ("ber", _("Berber (Tamazight)")),
    ("ti", _("Tigrinya")),
    ("prs", _("Dari")),
    ("ps", _("Pashto")),
    ("so", _("Somali")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
    ("pl", _("Polish")),
    ("ro", _("Romanian")),
    ("bg", _("Bulgarian")),
    ("ru", _("Russian")),
    ("uk", _("Ukrainian")),
    ("fa", _("Persian")),
    ("ku", _("Kurdish")),
    ("am", _("Amharic")),
    ("ln", _("Lingala")),
    ("other", _("Other language")),
]
