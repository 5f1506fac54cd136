"""Activities (outreach actions, information sessions, workshops, …) and anonymous head counts.

An activity is identified by its reference when the file gives one, otherwise by its kind,
day and title. Several rows of the same activity are one activity with one head count per
row (a neighbourhood and a channel each), so an outreach sheet with a line per street works.
Everything goes through opstap.activities.services: activity_create / activity_update for the
activity, outreach_count_record (and outreach_count_delete to correct a number) for counts.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opstap.activities.models import Activity, ActivityKind, Channel, OutreachCount
from opstap.activities.services import (
    COUNT_NOT_OUTREACH,
    LANGUAGE_CODES,
    activity_create,
    activity_update,
    allowed_programmes,
    outreach_count_delete,
    outreach_count_record,
)

from ..base import CREATED, FAILED, UNCHANGED, UPDATED, Importer, ParsedRow, RowFailed
from ..columns import Choice, Code, Column, Date, Text, Time, WholeNumber, cell_text
from .clients import LANGUAGE

DEFAULT_START = datetime.time(9, 0)
DEFAULT_END = datetime.time(17, 0)
DEFAULT_LENGTH = datetime.timedelta(hours=2)

KIND = Choice(
    ActivityKind.choices,
    aliases={
        ActivityKind.OUTREACH: (
            "outreach action",
            "sensibilisering",
            "straatwerk",
            "buurtactie",
            "street work",
            "sensibilisation",
            "action de sensibilisation",
        ),
        ActivityKind.INFO_SESSION: (
            "info session",
            "infosessie",
            "informatiesessie",
            "infomoment",
            "seance d information",
            "seance info",
            "session d information",
        ),
        ActivityKind.WORKSHOP: ("workshop", "atelier", "vorming"),
        ActivityKind.COFFEE_CHAT: (
            "coffee chat",
            "koffieklets",
            "koffiemoment",
            "cafe papote",
            "cafe rencontre",
        ),
        ActivityKind.PARTNER_EVENT: (
            "partner event",
            "partnerevent",
            "partneractiviteit",
            "evenement partenaire",
        ),
    },
)
CHANNEL = Choice(
    Channel.choices,
    aliases={
        Channel.STREET: ("straat", "rue", "op straat"),
        Channel.SHOP_VISIT: ("winkelbezoek", "winkel", "visite de commerce", "commerce"),
        Channel.COFFEE_CHAT: ("koffieklets", "cafe papote"),
        Channel.PARTNER_EVENT: ("partnerevent", "evenement partenaire"),
        Channel.SOCIAL_MEDIA: ("sociale media", "reseaux sociaux", "facebook", "instagram"),
        Channel.OTHER: ("andere", "ander", "autre"),
    },
)

ROW_DIFFERS = _("Row %(row)s describes the same activity with another %(column)s.")
SEVERAL_ACTIVITIES = _(
    "Several activities of your organisation match (%(count)s on this day with this kind "
    "and title); give each a reference."
)
PROGRAMME_UNKNOWN = _(
    "Your organisation runs no programme with the code “%(value)s” (nor is it a partner in one)."
)
END_WITHOUT_START = _("Give the start time too.")
SAME_COUNT = _(
    "Row %(row)s already gives this activity a head count for this neighbourhood and channel."
)


class Codes(Text):
    """Programme codes, separated by commas."""

    accepted = _("one or more programme codes, separated by commas")

    def parse(self, value: Any) -> list[str]:
        codes: list[str] = []
        for part in cell_text(value).replace(";", ",").split(","):
            code = Code(max_length=40).parse(part) if part.strip() else ""
            if code and code not in codes:
                codes.append(code)
        return codes

    def display(self, value: Any) -> str:
        return ", ".join(value or [])


# Cells of a row that describe the activity itself (rows of one activity must agree on them).
ACTIVITY_KEYS = (
    "kind",
    "date",
    "start_time",
    "end_time",
    "title",
    "programmes",
    "place",
    "language",
    "capacity",
)


class ActivityImporter(Importer):
    kind = "activities"
    title = _("Activities")
    columns = [
        Column(
            "reference",
            _("reference"),
            Text(max_length=64),
            aliases=(
                "external reference",
                "activity reference",
                "ref",
                "id",
                "referentie",
                "reference activite",
            ),
            help=_("Your own number for the activity; importing it again updates it."),
            example="OUT-2017-014",
        ),
        Column(
            "kind",
            _("kind"),
            KIND,
            required=True,
            aliases=(
                "activity kind",
                "type",
                "soort",
                "soort activiteit",
                "genre",
                "type d activite",
            ),
            example="outreach",
        ),
        Column(
            "date",
            _("date"),
            Date(),
            required=True,
            aliases=("day", "datum", "dag", "jour"),
            example="2017-03-14",
        ),
        Column(
            "start_time",
            _("start time"),
            Time(),
            aliases=("from", "starts at", "begin", "beginuur", "van", "heure de debut"),
            example="14:00",
        ),
        Column(
            "end_time",
            _("end time"),
            Time(),
            aliases=("until", "ends at", "einde", "einduur", "tot", "heure de fin"),
            example="16:00",
        ),
        Column(
            "programmes",
            _("programme code"),
            Codes(),
            aliases=(
                "programme",
                "programmes",
                "programme codes",
                "project",
                "project code",
                "programma",
                "programmacode",
                "projectcode",
                "code programme",
                "projet",
            ),
            example="azo-2016",
        ),
        Column(
            "title",
            _("title"),
            Text(max_length=200),
            required=True,
            aliases=("name", "activity", "titel", "naam", "activiteit", "titre", "nom", "activite"),
            example="Koffieklets Maritiem",
        ),
        Column(
            "neighbourhood",
            _("neighbourhood"),
            Text(max_length=100),
            aliases=("neighborhood", "district", "wijk", "buurt", "quartier"),
            example="Maritiem",
        ),
        Column(
            "place",
            _("place"),
            Text(max_length=200),
            aliases=("location", "venue", "plaats", "locatie", "lieu", "endroit"),
        ),
        Column(
            "language",
            _("language"),
            LANGUAGE,
            aliases=("taal", "langue"),
            example="nl",
        ),
        Column(
            "capacity",
            _("capacity"),
            WholeNumber(),
            aliases=("places", "capaciteit", "plaatsen", "capacite"),
        ),
        Column(
            "head_count",
            _("head count"),
            WholeNumber(),
            aliases=(
                "people reached",
                "reached",
                "headcount",
                "number reached",
                "bereikt",
                "aantal bereikt",
                "aantal bereikte personen",
                "gesensibiliseerd",
                "personnes touchees",
                "nombre de personnes touchees",
                "sensibilises",
            ),
            help=_("People reached, anonymously: outreach actions only."),
            example="35",
        ),
        Column(
            "channel",
            _("channel"),
            CHANNEL,
            aliases=("kanaal", "canal"),
            help=_("How they were reached; “other” when empty."),
            example="street",
        ),
    ]
    field_columns = {
        "external_reference": "reference",
        "starts_at": "start_time",
        "ends_at": "end_time",
        "people_reached": "head_count",
    }
    summary_text = _(
        "Activities and head counts: %(created)s rows add something, %(updated)s rows change "
        "something, %(unchanged)s rows are already there."
    )
    dry_run_text = _(
        "Activities and head counts: %(created)s rows would add something, %(updated)s rows "
        "would change something, %(unchanged)s rows are already there."
    )

    # Preparing ------------------------------------------------------------------------

    @staticmethod
    def _key(row: ParsedRow) -> Any:
        values = row.values
        if values.get("reference"):
            return ("reference", values["reference"])
        if all(k in values for k in ("kind", "date", "title")):
            return ("same", values["kind"], values["date"], values["title"])
        return None

    def prepare(self, rows: list[ParsedRow]) -> None:
        self._rows = rows
        groups: dict[Any, list[ParsedRow]] = {}
        for row in rows:
            key = self._key(row)
            row.resolved["group"] = key
            if key is not None:
                groups.setdefault(key, []).append(row)
        for group in groups.values():
            self._check_group(group)

        codes = {c for row in rows for c in row.values.get("programmes", [])}
        programmes = {
            p.code: p for p in allowed_programmes(self.organisation).filter(code__in=codes)
        }
        for row in rows:
            values = row.values
            found = []
            for code in values.get("programmes", []):
                if code in programmes:
                    found.append(programmes[code])
                else:
                    self.error(row, "programmes", PROGRAMME_UNKNOWN, {"value": code})
            row.resolved["programmes"] = found
            if "end_time" in values and "start_time" not in values:
                self.error(row, "start_time", END_WITHOUT_START)
            if "head_count" in values and values.get("kind") not in (None, ActivityKind.OUTREACH):
                self.error(row, "head_count", COUNT_NOT_OUTREACH)

        references = [k[1] for k in groups if k[0] == "reference"]
        by_reference = {
            a.external_reference: a
            for a in Activity.objects.filter(
                organisation=self.organisation, external_reference__in=references
            )
        }
        for key, group in groups.items():
            if key[0] == "reference":
                activity = by_reference.get(key[1])
            else:
                _same, kind, day, title = key
                matches = list(
                    Activity.objects.filter(
                        organisation=self.organisation,
                        kind=kind,
                        title=title,
                        starts_at__date=day,
                    )[:5]
                )
                if len(matches) > 1:
                    self.error(group[0], "title", SEVERAL_ACTIVITIES, {"count": len(matches)})
                    continue
                activity = matches[0] if matches else None
            if activity is not None:
                for row in group:
                    row.resolved["activity"] = activity

    def _check_group(self, group: list[ParsedRow]) -> None:
        first = group[0]
        counted: dict[tuple[str, str], int] = {}
        for row in group:
            for key in ACTIVITY_KEYS:
                if (
                    row is not first
                    and key in row.values
                    and key in first.values
                    and row.values[key] != first.values[key]
                ):
                    self.error(
                        row, key, ROW_DIFFERS, {"row": first.number, "column": self.header(key)}
                    )
            if "head_count" in row.values:
                count_key = (row.values.get("neighbourhood", ""), row.values.get("channel", ""))
                if count_key in counted:
                    self.error(row, "head_count", SAME_COUNT, {"row": counted[count_key]})
                else:
                    counted[count_key] = row.number

    # Applying -------------------------------------------------------------------------

    def _moments(
        self, values: dict[str, Any], activity: Activity | None
    ) -> tuple[datetime.datetime, datetime.datetime]:
        day = values["date"]
        if "start_time" in values:
            start = datetime.datetime.combine(day, values["start_time"])
            if "end_time" in values:
                end = datetime.datetime.combine(day, values["end_time"])
            else:
                end = start + DEFAULT_LENGTH
        elif activity is not None and activity.day == day:
            # Times not in the file: an existing activity keeps its own.
            return activity.starts_at, activity.ends_at
        else:
            start = datetime.datetime.combine(day, DEFAULT_START)
            end = datetime.datetime.combine(day, DEFAULT_END)
        return timezone.make_aware(start), timezone.make_aware(end)

    def _activity_values(self, group: list[ParsedRow], activity: Activity | None) -> dict[str, Any]:
        first = group[0].values
        neighbourhoods = {row.values.get("neighbourhood", "") for row in group}
        starts_at, ends_at = self._moments(first, activity)
        default_language = (
            self.organisation.default_language
            if self.organisation.default_language in LANGUAGE_CODES
            else "nl"
        )

        def keep(name: str, default: Any) -> Any:
            return getattr(activity, name) if activity is not None else default

        values = {
            "kind": first["kind"],
            "title": first["title"],
            "starts_at": starts_at,
            "ends_at": ends_at,
            "place": first.get("place", keep("place", "")),
            # Rows of one action in several neighbourhoods: each head count keeps its own.
            "neighbourhood": (
                neighbourhoods.pop()
                if len(neighbourhoods) == 1 and "neighbourhood" in first
                else keep("neighbourhood", "")
            ),
            "language": first.get("language", keep("language", default_language)),
            "capacity": first.get("capacity", keep("capacity", None)),
            "facilitator": keep("facilitator", None),
            "facilitator_name": keep("facilitator_name", ""),
            "series": keep("series", None),
            "external_reference": first.get("reference", keep("external_reference", "")),
        }
        programmes = group[0].resolved.get("programmes") or []
        if activity is not None and not self.has("programmes"):
            programmes = list(activity.programmes.all())
        values["programmes"] = programmes
        return values

    @staticmethod
    def _differs(activity: Activity, values: dict[str, Any]) -> bool:
        for name, value in values.items():
            if name == "programmes":
                if {p.pk for p in value} != {p.pk for p in activity.programmes.all()}:
                    return True
            elif getattr(activity, name) != value:
                return True
        return False

    def apply(self, rows: list[ParsedRow]) -> None:
        failed = {r.resolved.get("group") for r in self._rows if r.errors}
        groups: dict[Any, list[ParsedRow]] = {}
        for row in rows:
            key = row.resolved.get("group")
            if key is not None and key not in failed:
                groups.setdefault(key, []).append(row)
        for group in groups.values():
            try:
                self._apply_group(group)
            except RowFailed:
                for row in group:
                    if not row.errors:
                        row.outcome = ""
                continue

    def _apply_group(self, group: list[ParsedRow]) -> None:
        first = group[0]
        activity: Activity | None = first.resolved.get("activity")
        values = self._activity_values(group, activity)
        for row in group:
            row.outcome = UNCHANGED
        if activity is None:
            activity = self.call(
                first, activity_create, actor=self.actor, organisation=self.organisation, **values
            )
            first.outcome = CREATED
        elif self._differs(activity, values):
            activity = self.call(
                first, activity_update, actor=self.actor, activity=activity, **values
            )
            first.outcome = UPDATED
        existing: dict[tuple[str, str], list[OutreachCount]] = {}
        for count in activity.outreach_counts.all():
            existing.setdefault((count.neighbourhood, count.channel), []).append(count)
        for row in group:
            if "head_count" not in row.values:
                continue
            channel = row.values.get("channel", Channel.OTHER)
            neighbourhood = row.values.get("neighbourhood", "")
            number = row.values["head_count"]
            current = existing.get((neighbourhood, channel), [])
            if current and sum(c.people_reached for c in current) == number:
                continue
            # The file holds the number for this neighbourhood and channel: it replaces
            # what was counted there before.
            for count in current:
                self.call(row, outreach_count_delete, actor=self.actor, count=count)
            self.call(
                row,
                outreach_count_record,
                actor=self.actor,
                activity=activity,
                neighbourhood=neighbourhood,
                channel=channel,
                people_reached=number,
            )
            if row.outcome != CREATED:
                row.outcome = UPDATED if current else CREATED
        for row in group:
            if row.errors:
                row.outcome = FAILED
