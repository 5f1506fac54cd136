"""Programmes: code, name, period, a target per phase and the start-rate target.

The code identifies a programme within the organisation: importing a file again updates
the programmes it names (journeys.services.programme_save creates or updates by code).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from opstap.journeys.models import Programme
from opstap.journeys.phases import Phase
from opstap.journeys.services import programme_save

from ..base import CREATED, UNCHANGED, UPDATED, Importer, ParsedRow, RowFailed
from ..columns import Code, Column, Date, Rate, Text, WholeNumber
from .common import PHASE_WORDS, SAME_KEY_IN_FILE

TARGET_PHASES = [phase for phase in Phase if phase != Phase.CLOSED]


def _target_aliases(phase: Phase) -> tuple[Any, ...]:
    words = (*PHASE_WORDS[phase], phase.label)
    aliases: list[Any] = []
    for word in words:
        if not isinstance(word, str):
            aliases.append(word)
            continue
        aliases += [
            word,
            f"target {word}",
            f"{word} target",
            f"doel {word}",
            f"streefcijfer {word}",
            f"objectif {word}",
            f"cible {word}",
        ]
    return tuple(aliases)


def _target_column(phase: Phase) -> Column:
    return Column(
        f"target_{phase.value}",
        f"target {phase.value}",
        WholeNumber(),
        aliases=_target_aliases(phase),
        help=_("How many distinct people should reach this phase in the programme period."),
        example="1150" if phase == Phase.INFORMED else "",
    )


class ProgrammeImporter(Importer):
    kind = "programmes"
    title = _("Programmes")
    columns = [
        Column(
            "code",
            _("code"),
            Code(max_length=40),
            required=True,
            aliases=(
                "programme code",
                "project code",
                "programmacode",
                "projectcode",
                "code programme",
                "code projet",
                "code du programme",
                "code du projet",
            ),
            help=_("Identifies the programme in your organisation; the same code updates it."),
            example="azo-2016",
        ),
        Column(
            "name",
            _("name"),
            Text(max_length=200),
            required=True,
            aliases=(
                "naam",
                "nom",
                "programme",
                "programme name",
                "project",
                "project name",
                "programmanaam",
                "projectnaam",
                "nom du programme",
                "nom du projet",
            ),
            example="Project AZO!",
        ),
        Column(
            "start",
            _("start"),
            Date(),
            required=True,
            aliases=(
                "starts on",
                "start date",
                "begin",
                "begindatum",
                "startdatum",
                "start datum",
                "van",
                "debut",
                "date de debut",
                "du",
            ),
            example="2016-11-01",
        ),
        Column(
            "end",
            _("end"),
            Date(),
            required=True,
            aliases=(
                "ends on",
                "end date",
                "einde",
                "einddatum",
                "eind datum",
                "tot",
                "fin",
                "date de fin",
                "au",
            ),
            example="2018-10-31",
        ),
        *[_target_column(phase) for phase in TARGET_PHASES],
        Column(
            "start_rate_target",
            _("start-rate target"),
            Rate(),
            aliases=(
                "start rate",
                "target start rate",
                "startpercentage",
                "doel startpercentage",
                "streefcijfer starters",
                "taux de lancement",
                "objectif taux de lancement",
                "taux de creation",
            ),
            help=_("Share of the people in guidance who start a business."),
            example="20%",
        ),
        Column(
            "description",
            _("description"),
            Text(),
            aliases=("beschrijving", "omschrijving", "description du programme"),
        ),
    ]
    field_columns = {"starts_on": "start", "ends_on": "end"}
    summary_text = _(
        "Programmes: %(created)s created, %(updated)s updated, %(unchanged)s unchanged."
    )
    dry_run_text = _(
        "Programmes: %(created)s would be created, %(updated)s updated, "
        "%(unchanged)s left unchanged."
    )

    def prepare(self, rows: list[ParsedRow]) -> None:
        first: dict[str, int] = {}
        for row in rows:
            code = row.values.get("code")
            if code is None:
                continue
            if code in first:
                self.error(row, "code", SAME_KEY_IN_FILE, {"what": _("code"), "row": first[code]})
            else:
                first[code] = row.number
        codes = list(first)
        existing = {
            p.code: p
            for p in Programme.objects.filter(
                organisation=self.organisation, code__in=codes
            ).prefetch_related("phase_targets")
        }
        for row in rows:
            programme = existing.get(row.values.get("code"))
            if programme is not None:
                row.resolved["programme"] = programme

    def _targets(self, row: ParsedRow) -> dict[str, int]:
        return {
            phase.value: row.values[f"target_{phase.value}"]
            for phase in TARGET_PHASES
            if f"target_{phase.value}" in row.values
        }

    def _unchanged(self, programme: Programme, row: ParsedRow, rate: Any) -> bool:
        values = row.values
        current_targets = {t.phase: t.target for t in programme.phase_targets.all()}
        return (
            programme.name == values["name"]
            and programme.starts_on == values["start"]
            and programme.ends_on == values["end"]
            and programme.start_rate_target == rate
            and ("description" not in values or programme.description == values["description"])
            and all(current_targets.get(p) == n for p, n in self._targets(row).items())
        )

    def apply(self, rows: list[ParsedRow]) -> None:
        for row in rows:
            programme: Programme | None = row.resolved.get("programme")
            # An empty cell (or no such column) leaves the start-rate target as it was.
            rate = row.values.get(
                "start_rate_target", programme.start_rate_target if programme else None
            )
            if programme is not None and self._unchanged(programme, row, rate):
                row.outcome = UNCHANGED
                continue
            try:
                self.call(
                    row,
                    programme_save,
                    actor=self.actor,
                    organisation=self.organisation,
                    code=row.values["code"],
                    name=row.values["name"],
                    starts_on=row.values["start"],
                    ends_on=row.values["end"],
                    start_rate_target=rate,
                    phase_targets=self._targets(row),
                    description=row.values.get("description", ""),
                )
            except RowFailed:
                continue
            row.outcome = UPDATED if programme is not None else CREATED
