"""Client files, identified by the external reference (the number in the old spreadsheet).

A reference that is new creates a file (clients.services.client_create); a reference that
exists updates that file with the cells that differ (client_update), or leaves it alone when
nothing differs. Empty cells never erase what the file holds.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from opstap.clients.choices import (
    LANGUAGE_CHOICES,
    Education,
    Gender,
    Household,
    IncomeSource,
    LabourStatus,
    ResidenceStatus,
)
from opstap.clients.models import Client
from opstap.clients.services import (
    clean_client_data,
    client_create,
    client_update,
    find_duplicates,
)
from opstap.core import crypto
from opstap.core.identifiers import validate_national_number
from opstap.core.models import User
from opstap.core.roles import Capability

from ..base import CREATED, UNCHANGED, UPDATED, Importer, ParsedRow, RowError, RowFailed
from ..columns import (
    Choice,
    ChoiceList,
    Column,
    Date,
    DecimalNumber,
    Email,
    Phone,
    Text,
    WholeNumberList,
    cell_text,
)
from .common import SAME_KEY_IN_FILE

SEVERAL_WITH_REFERENCE = _(
    "Several client files in your organisation have this reference (%(files)s); "
    "give each a different reference first."
)
ADVISER_UNKNOWN = _("No active member of your organisation has the e-mail address %(email)s.")
DUPLICATE_NUMBER_EXISTS = _(
    "A client with this national number already exists in your organisation: file "
    "%(file)s (%(name)s, reference “%(reference)s”). Give that reference to update it."
)
POSSIBLE_DUPLICATE_EXISTS = _(
    "A client with the same name and birth date exists: %(files)s. If this is a different "
    "person, give a reason in the column “%(column)s”."
)
FILE_LABEL = _("file %(number)s (%(name)s)")

GENDER = Choice(
    Gender.choices,
    aliases={
        Gender.WOMAN: ("v", "f", "w", "vrouw", "femme", "female", "vrouwelijk", "feminin"),
        Gender.MAN: ("m", "h", "man", "homme", "male", "mannelijk", "masculin"),
        Gender.NON_BINARY: ("x", "non binary", "nonbinary", "non binair", "non binaire"),
        Gender.UNKNOWN: ("?", "onbekend", "inconnu", "unknown"),
    },
)
LANGUAGE = Choice(
    LANGUAGE_CHOICES,
    aliases={
        "nl": ("nederlands", "vlaams", "neerlandais", "dutch", "flemish"),
        "fr": ("frans", "francais", "french"),
        "en": ("engels", "anglais", "english"),
        "de": ("duits", "allemand", "german"),
        "ar": ("arabisch", "arabe", "arabic"),
        "tr": ("turks", "turc", "turkish"),
        "ber": ("berbers", "berbere", "berber", "tamazight", "amazigh", "tarifit"),
        "ti": ("tigrinya", "tigrinia", "tigrigna", "tigrinja"),
        "prs": ("dari",),
        "ps": ("pashto", "pasjtoe", "pashtu", "pachto", "pachtou"),
        "so": ("somali", "somalisch"),
        "es": ("spaans", "espagnol", "spanish"),
        "pt": ("portugees", "portugais", "portuguese"),
        "pl": ("pools", "polonais", "polish"),
        "ro": ("roemeens", "roumain", "romanian"),
        "bg": ("bulgaars", "bulgare", "bulgarian"),
        "ru": ("russisch", "russe", "russian"),
        "uk": ("oekraiens", "ukrainien", "ukrainian"),
        "fa": ("perzisch", "farsi", "persan", "persian"),
        "ku": ("koerdisch", "kurde", "kurdish"),
        "am": ("amhaars", "amharique", "amharic"),
        "ln": ("lingala",),
        "other": ("andere", "anders", "autre", "other"),
    },
)
HOUSEHOLD = Choice(
    Household.choices,
    aliases={
        Household.SINGLE: ("alleenstaand", "alleenstaande", "isole", "isolee", "seul", "seule"),
        Household.COUPLE: ("koppel", "samenwonend", "gehuwd", "getrouwd", "marie", "cohabitant"),
        Household.SINGLE_PARENT: (
            "eenoudergezin",
            "alleenstaande ouder",
            "famille monoparentale",
            "monoparental",
            "monoparentale",
        ),
    },
)
INCOME_SOURCE = Choice(
    IncomeSource.choices,
    aliases={
        IncomeSource.SOCIAL_ASSISTANCE: (
            "bijstand",
            "leefloon",
            "ocmw",
            "cpas",
            "revenu d integration",
            "ris",
            "participatiewet",
        ),
        IncomeSource.UNEMPLOYMENT_BENEFIT: (
            "werkloosheidsuitkering",
            "werkloosheid",
            "ww",
            "rva",
            "onem",
            "chomage",
            "allocations de chomage",
        ),
        IncomeSource.DISABILITY_BENEFIT: (
            "invaliditeit",
            "arbeidsongeschiktheid",
            "wia",
            "wajong",
            "invalidite",
            "mutuelle",
        ),
        IncomeSource.NONE: ("geen", "geen inkomen", "aucun", "aucun revenu", "none"),
        IncomeSource.OTHER: ("andere", "ander", "overig", "autre", "other"),
    },
)
LABOUR_STATUS = Choice(
    LabourStatus.choices,
    aliases={
        LabourStatus.UNEMPLOYED: ("werkloos", "werkzoekend", "chomeur", "demandeur d emploi"),
        LabourStatus.LONG_TERM_UNEMPLOYED: (
            "langdurig werkloos",
            "langdurig werkzoekend",
            "chomeur de longue duree",
        ),
        LabourStatus.INACTIVE: ("inactief", "inactif", "inactive"),
        LabourStatus.EMPLOYED: ("werkend", "in loondienst", "werknemer", "salarie", "employe"),
        LabourStatus.SELF_EMPLOYED: ("zelfstandige", "zelfstandig", "ondernemer", "independant"),
    },
)
EDUCATION = Choice(
    Education.choices,
    aliases={level: (f"isced {level}", f"isced{level}") for level in Education.values},
)
RESIDENCE = Choice(
    ResidenceStatus.choices,
    aliases={
        ResidenceStatus.NATIONAL: ("belg", "nederlander", "nationaal", "nationale", "national"),
        ResidenceStatus.EU_CITIZEN: ("eu burger", "eu", "citoyen ue", "citoyen europeen"),
        ResidenceStatus.THIRD_COUNTRY: (
            "derdelander",
            "niet eu",
            "non eu",
            "ressortissant pays tiers",
        ),
        ResidenceStatus.RECOGNISED_REFUGEE: (
            "erkend vluchteling",
            "statushouder",
            "vluchteling",
            "refugie reconnu",
            "refugie",
            "refugee",
        ),
        ResidenceStatus.SUBSIDIARY_PROTECTION: (
            "subsidiaire bescherming",
            "protection subsidiaire",
        ),
        ResidenceStatus.ASYLUM_SEEKER: (
            "asielzoeker",
            "verzoeker internationale bescherming",
            "demandeur d asile",
        ),
    },
)


class NationalNumber(Text):
    """A national number as text; a workbook number cell that lost its leading zero gets it
    back (Belgian numbers have 11 digits, BSNs 9)."""

    accepted = _("11 digits (Belgium) or 9 digits (BSN, the Netherlands); dots and dashes allowed")

    def parse(self, value: Any) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            digits = cell_text(value)
            if len(digits) in (8, 10):
                digits = digits.zfill(len(digits) + 1)
            return digits
        return super().parse(value)


def _field(name: str) -> Any:
    return Client._meta.get_field(name).verbose_name


FINANCIAL = Capability.VIEW_FINANCIAL


class ClientImporter(Importer):
    kind = "clients"
    title = _("Clients")
    columns = [
        Column(
            "external_reference",
            _("external reference"),
            Text(max_length=64),
            required=True,
            aliases=(
                "reference",
                "ref",
                "external id",
                "client reference",
                "client number",
                "referentie",
                "externe referentie",
                "dossiernummer",
                "klantnummer",
                "reference externe",
                "numero de dossier",
                "numero client",
            ),
            help=_("Your own number for the person; importing the same reference updates."),
            example="MB-2019-0042",
        ),
        Column(
            "first_name",
            _("first name"),
            Text(max_length=100),
            required=True,
            aliases=("firstname", "given name", "voornaam", "prenom"),
            example="Amina",
        ),
        Column(
            "last_name",
            _("last name"),
            Text(max_length=100),
            required=True,
            aliases=(
                "lastname",
                "surname",
                "family name",
                "name",
                "naam",
                "achternaam",
                "familienaam",
                "nom",
                "nom de famille",
            ),
            example="El Idrissi",
        ),
        Column(
            "birth_date",
            _("birth date"),
            Date(),
            aliases=(
                "date of birth",
                "birthdate",
                "dob",
                "geboortedatum",
                "geboren",
                "date de naissance",
                "naissance",
                "ne le",
            ),
            example="1985-07-30",
        ),
        Column(
            "gender",
            _("gender"),
            GENDER,
            aliases=("sex", "geslacht", "gender", "sexe", "genre"),
            example="woman",
        ),
        Column(
            "national_number",
            _("national number"),
            NationalNumber(max_length=20),
            aliases=(
                "national register number",
                "rijksregisternummer",
                "rijksregister",
                "rrn",
                "insz",
                "bsn",
                "burgerservicenummer",
                "numero national",
                "numero de registre national",
                "registre national",
                "niss",
            ),
            capability=Capability.VIEW_NATIONAL_NUMBER,
            masked=True,
            example="85.07.30-033.28",
        ),
        Column(
            "phone",
            _field("phone"),
            Phone(max_length=32),
            aliases=("telephone", "telefoon", "gsm", "mobile", "mobiel", "tel"),
        ),
        Column(
            "email",
            _field("email"),
            Email(max_length=254),
            aliases=("email address", "e-mailadres", "mail", "courriel", "adresse e-mail"),
        ),
        Column(
            "street",
            _field("street"),
            Text(max_length=200),
            aliases=("street", "address", "straat", "adres", "rue", "adresse"),
        ),
        Column(
            "postcode",
            _field("postcode"),
            Text(max_length=16),
            aliases=("postal code", "zip", "zip code", "code postal", "cp"),
            example="1080",
        ),
        Column(
            "municipality",
            _field("municipality"),
            Text(max_length=100),
            aliases=("city", "town", "gemeente", "woonplaats", "plaats", "commune", "ville"),
            example="Molenbeek",
        ),
        Column(
            "neighbourhood",
            _field("neighbourhood"),
            Text(max_length=100),
            aliases=("neighborhood", "district", "wijk", "buurt", "quartier"),
        ),
        Column(
            "languages",
            _("languages"),
            ChoiceList(LANGUAGE),
            aliases=(_field("languages"), "talen", "gesproken talen", "langues", "langues parlees"),
            example="ar, fr, nl",
        ),
        Column(
            "preferred_language",
            _field("preferred_language"),
            LANGUAGE,
            aliases=("voorkeurstaal", "langue preferee", "langue de preference"),
            example="fr",
        ),
        Column(
            "household",
            _field("household"),
            HOUSEHOLD,
            aliases=("huishouden", "gezin", "gezinssituatie", "menage", "situation familiale"),
        ),
        Column(
            "children_ages",
            _("children's ages"),
            WholeNumberList(),
            aliases=(
                _field("children_ages"),
                "children ages",
                "leeftijden kinderen",
                "leeftijd kinderen",
                "ages des enfants",
                "age des enfants",
            ),
            example="3, 7",
        ),
        Column(
            "income_source",
            _("income source"),
            INCOME_SOURCE,
            aliases=(
                _field("income_source"),
                "inkomen",
                "inkomensbron",
                "bron van inkomen",
                "uitkering",
                "source de revenus",
                "revenu",
                "allocation",
            ),
            capability=FINANCIAL,
            example="social_assistance",
        ),
        Column(
            "income_monthly",
            _("monthly income"),
            DecimalNumber(),
            aliases=(
                _field("income_monthly"),
                "income",
                "maandinkomen",
                "inkomen per maand",
                "revenu mensuel",
            ),
            capability=FINANCIAL,
            example="1057,00",
        ),
        Column(
            "labour_status",
            _("labour status"),
            LABOUR_STATUS,
            aliases=(
                _field("labour_status"),
                "labour market status",
                "employment status",
                "arbeidsmarktstatus",
                "arbeidssituatie",
                "statut professionnel",
                "situation professionnelle",
            ),
            example="long_term_unemployed",
        ),
        Column(
            "education",
            _("education"),
            EDUCATION,
            aliases=(
                _field("education"),
                "isced",
                "opleiding",
                "opleidingsniveau",
                "onderwijsniveau",
                "diploma",
                "niveau d etudes",
                "formation",
            ),
            example="3",
        ),
        Column(
            "residence_status",
            _field("residence_status"),
            RESIDENCE,
            aliases=("verblijfsstatus", "verblijf", "statut de sejour", "sejour"),
        ),
        Column(
            "iban",
            "IBAN",
            Text(max_length=42),
            aliases=("rekeningnummer", "bankrekening", "compte bancaire", "numero de compte"),
            capability=FINANCIAL,
            masked=True,
        ),
        Column(
            "adviser",
            _("adviser"),
            Email(max_length=254),
            aliases=(
                "adviser e-mail",
                "advisor",
                "begeleider",
                "trajectbegeleider",
                "consultant",
                "conseiller",
                "conseillere",
            ),
            help=_("The e-mail address of a member of your organisation."),
        ),
        Column(
            "duplicate_override_reason",
            _("duplicate reason"),
            Text(max_length=300),
            aliases=(
                "reason for duplicate",
                "reden dubbel",
                "reden dubbele",
                "raison doublon",
            ),
            help=_(
                "Only when another file has the same name and birth date: why this is a "
                "different person."
            ),
        ),
    ]
    summary_text = _(
        "Client files: %(created)s created, %(updated)s updated, %(unchanged)s unchanged."
    )
    dry_run_text = _(
        "Client files: %(created)s would be created, %(updated)s updated, "
        "%(unchanged)s left unchanged."
    )

    def prepare(self, rows: list[ParsedRow]) -> None:
        first_reference: dict[str, int] = {}
        first_number: dict[str, int] = {}
        for row in rows:
            reference = row.values.get("external_reference")
            if reference is not None:
                if reference in first_reference:
                    self.error(
                        row,
                        "external_reference",
                        SAME_KEY_IN_FILE,
                        {"what": _("reference"), "row": first_reference[reference]},
                    )
                else:
                    first_reference[reference] = row.number
            number = row.values.get("national_number")
            if number:
                try:
                    compact = validate_national_number(number, self.organisation.country)
                except ValidationError:
                    continue  # the service says what is wrong with it
                if compact in first_number:
                    self.error(
                        row,
                        "national_number",
                        SAME_KEY_IN_FILE,
                        {"what": _("national number"), "row": first_number[compact]},
                    )
                else:
                    first_number[compact] = row.number

        existing: dict[str, list[Client]] = {}
        for client in Client.objects.filter(
            organisation=self.organisation, external_reference__in=list(first_reference)
        ).order_by("pk"):
            existing.setdefault(client.external_reference, []).append(client)

        emails = {row.values["adviser"] for row in rows if "adviser" in row.values}
        advisers = {
            user.email: user
            for user in User.objects.filter(
                email__in=emails,
                memberships__organisation=self.organisation,
                memberships__is_active=True,
                is_active=True,
            )
        }
        for row in rows:
            found = existing.get(row.values.get("external_reference"), [])
            if len(found) > 1:
                files = ", ".join(str(c.pk) for c in found)
                self.error(row, "external_reference", SEVERAL_WITH_REFERENCE, {"files": files})
            elif found:
                row.resolved["client"] = found[0]
            if "adviser" in row.values:
                email = row.values["adviser"]
                if email in advisers:
                    row.resolved["adviser"] = advisers[email]
                else:
                    self.error(row, "adviser", ADVISER_UNKNOWN, {"email": email})

    def _data(self, row: ParsedRow) -> dict[str, Any]:
        data = {
            key: value
            for key, value in row.values.items()
            if key not in ("adviser", "duplicate_override_reason")
        }
        if "adviser" in row.resolved:
            data["adviser"] = row.resolved["adviser"]
        return data

    @staticmethod
    def _differs(client: Client, name: str, value: Any) -> bool:
        if name == "national_number":
            return crypto.lookup_hash(value) != client.national_number_hash
        if name == "iban":
            return value != client.iban
        if name == "adviser":
            return (value.pk if value else None) != client.adviser_id
        if name in ("languages", "children_ages"):
            return list(value or []) != list(getattr(client, name) or [])
        return value != getattr(client, name)

    def _changed(self, client: Client, data: dict[str, Any]) -> bool:
        try:
            cleaned = clean_client_data(organisation=self.organisation, data=data, client=client)
        except ValidationError:
            return True  # client_update says what is wrong
        return any(self._differs(client, name, value) for name, value in cleaned.items())

    def apply(self, rows: list[ParsedRow]) -> None:
        for row in rows:
            data = self._data(row)
            reason = row.values.get("duplicate_override_reason", "")
            client: Client | None = row.resolved.get("client")
            try:
                if client is None:
                    self.call(
                        row,
                        client_create,
                        actor=self.actor,
                        organisation=self.organisation,
                        data=data,
                        duplicate_override_reason=reason,
                    )
                    row.outcome = CREATED
                    continue
                # The checks between fields need their partner field; take it from the file
                # when the sheet leaves it out.
                for dependent, partner in (
                    ("children_ages", "household"),
                    ("income_monthly", "income_source"),
                    ("preferred_language", "languages"),
                ):
                    if dependent in data and partner not in data:
                        data[partner] = getattr(client, partner)
                if not self._changed(client, data):
                    row.outcome = UNCHANGED
                    continue
                self.call(
                    row,
                    client_update,
                    actor=self.actor,
                    client=client,
                    data=data,
                    duplicate_override_reason=reason,
                )
                row.outcome = UPDATED
            except RowFailed:
                continue

    def convert(self, row: ParsedRow, field_name: str, error: ValidationError) -> RowError | None:
        """The services link duplicates for a page; an import names the file instead."""
        data = self._data(row)
        client = row.resolved.get("client")
        if error.code == "duplicate_national_number":
            try:
                compact = validate_national_number(
                    data.get("national_number", ""), self.organisation.country
                )
            except ValidationError:
                return None
            other = Client.objects.filter(
                organisation=self.organisation, national_number_hash=crypto.lookup_hash(compact)
            ).first()
            if other is None:
                return None
            return RowError(
                row.number,
                self.headers.get("national_number", ""),
                DUPLICATE_NUMBER_EXISTS,
                {"file": other.pk, "name": other.full_name, "reference": other.external_reference},
                clients=[(other.pk, other.full_name)],
            )
        if error.code == "possible_duplicate":
            identity = {
                "first_name": data.get("first_name", client.first_name if client else ""),
                "last_name": data.get("last_name", client.last_name if client else ""),
                "birth_date": data.get("birth_date", client.birth_date if client else None),
            }
            _same_number, same_person = find_duplicates(
                organisation=self.organisation, data=identity, exclude=client
            )
            if not same_person:
                return None
            files = ", ".join(
                str(FILE_LABEL) % {"number": c.pk, "name": c.full_name} for c in same_person
            )
            return RowError(
                row.number,
                "",
                POSSIBLE_DUPLICATE_EXISTS,
                {"files": files, "column": self.header("duplicate_override_reason")},
                clients=[(c.pk, c.full_name) for c in same_person],
            )
        return None
