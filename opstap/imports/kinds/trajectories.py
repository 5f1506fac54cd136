"""Trajectories as phase events: one row per move of one client in one route.

The rows of a client in a route are taken in date order (rows with the same date in the
order of the file) and replayed through the same services as the route board:
journeys.services.trajectory_open for the first event, trajectory_move for each next one.
An event after `closed` starts a new trajectory in that route.

Importing again changes nothing: a trajectory whose history already holds the first event
(same phase, same date) is reused, and an event already in its history is skipped.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opstap.clients.models import Client
from opstap.journeys.models import Programme, RouteType, Trajectory
from opstap.journeys.phases import Phase
from opstap.journeys.services import (
    OUTCOME_ONLY_WHEN_CLOSING,
    OUTCOME_REQUIRED,
    PHASE_NOT_IN_ROUTE,
    trajectory_move,
    trajectory_open,
)

from ..base import CREATED, FAILED, UNCHANGED, UPDATED, Importer, ParsedRow, RowFailed
from ..columns import Code, Column, Date, Text, normalise
from .common import PHASE

CLIENT_UNKNOWN = _(
    "No client file in your organisation has the reference “%(reference)s”; import the "
    "clients first."
)
CLIENT_SEVERAL = _(
    "Several client files in your organisation have the reference “%(reference)s” "
    "(%(files)s); give each a different reference first."
)
ROUTE_UNKNOWN = _("“%(value)s” is not a route of your organisation. Routes: %(accepted)s.")
PROGRAMME_UNKNOWN = _("Your organisation has no programme with the code “%(value)s”.")
OUTCOME_UNKNOWN = _(
    "“%(value)s” is not an outcome of the route “%(route)s”. Outcomes: %(accepted)s."
)
STARTS_CLOSED = _(
    "A trajectory cannot start with “closed”: give its earlier events too (for example the intake)."
)
PROGRAMME_NOT_ON_TRAJECTORY = _(
    "This trajectory already exists without the programme %(code)s; a programme can only be "
    "given when a trajectory is opened."
)


class TrajectoryImporter(Importer):
    kind = "trajectories"
    title = _("Trajectories")
    columns = [
        Column(
            "client",
            _("client reference"),
            Text(max_length=64),
            required=True,
            aliases=(
                "external reference",
                "reference",
                "ref",
                "client",
                "klant",
                "klantnummer",
                "dossiernummer",
                "referentie",
                "reference client",
                "numero de dossier",
                "numero client",
            ),
            help=_("The external reference of a client file (import the clients first)."),
            example="MB-2019-0042",
        ),
        Column(
            "route",
            _("route"),
            Text(max_length=200),
            required=True,
            aliases=("route type", "traject", "trajecttype", "parcours", "type de parcours"),
            help=_("The code or the name of a route, for example starter."),
            example="starter",
        ),
        Column(
            "programme",
            _("programme code"),
            Code(max_length=40),
            aliases=(
                "programme",
                "program",
                "project",
                "project code",
                "programma",
                "programmacode",
                "projectcode",
                "programme code",
                "code programme",
                "projet",
                "code projet",
            ),
            help=_("The programme the trajectory counts for; only used when it is opened."),
            example="azo-2016",
        ),
        Column(
            "phase",
            _("phase"),
            PHASE,
            required=True,
            aliases=("to phase", "fase", "stap", "etape"),
            example="intake",
        ),
        Column(
            "date",
            _("date"),
            Date(),
            required=True,
            aliases=("on", "datum", "op", "le", "date de l etape"),
            example="2024-03-31",
        ),
        Column(
            "outcome",
            _("outcome"),
            Text(max_length=200),
            aliases=("result", "resultaat", "uitkomst", "uitstroom", "resultat", "issue"),
            help=_("Required on closed, empty otherwise: the code or the name of an outcome."),
            example="started_off_benefits",
        ),
        Column(
            "reason",
            _("reason"),
            Text(max_length=300),
            aliases=("note", "reden", "toelichting", "raison", "motif", "remarque"),
        ),
    ]
    field_columns = {
        "on": "date",
        "to_phase": "phase",
        "route_type": "route",
        "programmes": "programme",
    }
    summary_text = _(
        "Trajectories: %(created)s opened, %(updated)s phase changes recorded, "
        "%(unchanged)s events already recorded."
    )
    dry_run_text = _(
        "Trajectories: %(created)s would be opened, %(updated)s phase changes recorded, "
        "%(unchanged)s events are already recorded."
    )

    outcome_labels = {
        CREATED: _("opens a trajectory"),
        UPDATED: _("records a move"),
        UNCHANGED: _("already recorded"),
        FAILED: _("error"),
    }

    def prepare(self, rows: list[ParsedRow]) -> None:
        self._rows = rows
        references = {row.values["client"] for row in rows if "client" in row.values}
        clients: dict[str, list[Client]] = {}
        for client in Client.objects.filter(
            organisation=self.organisation, external_reference__in=references
        ).order_by("pk"):
            clients.setdefault(client.external_reference, []).append(client)

        routes: dict[str, RouteType] = {}
        route_types = list(
            RouteType.objects.for_organisation(self.organisation).prefetch_related("outcomes")
        )
        for route_type in route_types:
            for name in (route_type.code, *route_type.names.values()):
                routes.setdefault(normalise(name), route_type)
        route_codes = ", ".join(r.code for r in route_types)

        codes = {row.values["programme"] for row in rows if "programme" in row.values}
        programmes = {
            p.code: p
            for p in Programme.objects.filter(code__in=codes)
            .filter(Q(organisation=self.organisation) | Q(partners__organisation=self.organisation))
            .distinct()
            .order_by("organisation_id")
        }

        for row in rows:
            values = row.values
            client, route_type = None, None
            if "client" in values:
                found = clients.get(values["client"], [])
                if len(found) > 1:
                    files = ", ".join(str(c.pk) for c in found)
                    self.error(
                        row,
                        "client",
                        CLIENT_SEVERAL,
                        {"reference": values["client"], "files": files},
                    )
                elif not found:
                    self.error(row, "client", CLIENT_UNKNOWN, {"reference": values["client"]})
                else:
                    client = row.resolved["client"] = found[0]
            if "route" in values:
                route_type = routes.get(normalise(values["route"]))
                if route_type is None:
                    self.error(
                        row,
                        "route",
                        ROUTE_UNKNOWN,
                        {"value": values["route"], "accepted": route_codes},
                    )
                else:
                    row.resolved["route_type"] = route_type
            if "programme" in values:
                programme = programmes.get(values["programme"])
                if programme is None:
                    self.error(row, "programme", PROGRAMME_UNKNOWN, {"value": values["programme"]})
                else:
                    row.resolved["programme"] = programme
            if route_type is not None:
                self._check_phase_and_outcome(row, route_type)
            if client is not None and route_type is not None:
                row.resolved["group"] = (client.pk, route_type.code)

    def _check_phase_and_outcome(self, row: ParsedRow, route_type: RouteType) -> None:
        phase = row.values.get("phase")
        if phase is not None and phase not in route_type.phases:
            self.error(row, "phase", PHASE_NOT_IN_ROUTE, {"route": route_type.name, "phase": phase})
        outcome_text = row.values.get("outcome")
        if phase == Phase.CLOSED and outcome_text is None:
            self.error(row, "outcome", OUTCOME_REQUIRED)
        elif phase is not None and phase != Phase.CLOSED and outcome_text is not None:
            self.error(row, "outcome", OUTCOME_ONLY_WHEN_CLOSING)
        elif outcome_text is not None:
            outcomes = list(route_type.outcomes.all())
            match = next(
                (
                    o
                    for o in outcomes
                    if normalise(outcome_text)
                    in {normalise(o.code), *(normalise(n) for n in o.names.values())}
                ),
                None,
            )
            if match is None:
                self.error(
                    row,
                    "outcome",
                    OUTCOME_UNKNOWN,
                    {
                        "value": outcome_text,
                        "route": route_type.name,
                        "accepted": ", ".join(o.code for o in outcomes),
                    },
                )
            else:
                row.resolved["outcome"] = match

    @staticmethod
    def _runs(events: list[ParsedRow]) -> list[list[ParsedRow]]:
        """The events in date order (ties in file order), cut after every `closed`."""
        ordered = sorted(events, key=lambda r: r.values["date"])
        runs: list[list[ParsedRow]] = [[]]
        for row in ordered:
            runs[-1].append(row)
            if row.values["phase"] == Phase.CLOSED:
                runs.append([])
        return [run for run in runs if run]

    def apply(self, rows: list[ParsedRow]) -> None:
        # A group with a bad row is not replayed: its other events would fail for that reason.
        failed = {r.resolved.get("group") for r in self._rows if r.errors}
        groups: dict[Any, list[ParsedRow]] = {}
        for row in rows:
            group = row.resolved["group"]
            if group not in failed:
                groups.setdefault(group, []).append(row)
        for events in groups.values():
            first = events[0]
            existing = list(
                Trajectory.objects.filter(
                    client=first.resolved["client"],
                    route_type__code=first.resolved["route_type"].code,
                )
                .select_related("route_type", "organisation", "client")
                .prefetch_related("phase_changes", "programmes")
                .order_by("opened_on", "pk")
            )
            try:
                for run in self._runs(events):
                    self._replay(run, existing)
            except RowFailed:
                continue

    def _replay(self, run: list[ParsedRow], existing: list[Trajectory]) -> None:
        first = run[0]
        if first.values["phase"] == Phase.CLOSED:
            self.error(first, "phase", STARTS_CLOSED)
            raise RowFailed
        key = (first.values["phase"], first.values["date"])
        trajectory = next(
            (t for t in existing if key in {(c.to_phase, c.on) for c in t.phase_changes.all()}),
            None,
        )
        programmes = list(
            {
                row.resolved["programme"].pk: row.resolved["programme"]
                for row in run
                if "programme" in row.resolved
            }.values()
        )
        if trajectory is None:
            trajectory = self.call(
                first,
                trajectory_open,
                actor=self.actor,
                client=first.resolved["client"],
                route_type=first.resolved["route_type"],
                on=first.values["date"],
                phase=first.values["phase"],
                programmes=programmes,
                reason=first.values.get("reason", ""),
            )
            first.outcome = CREATED
            history = {key}
        else:
            history = {(c.to_phase, c.on) for c in trajectory.phase_changes.all()}
            on_trajectory = {p.pk for p in trajectory.programmes.all()}
            for row in run:
                programme = row.resolved.get("programme")
                if programme is not None and programme.pk not in on_trajectory:
                    self.error(
                        row, "programme", PROGRAMME_NOT_ON_TRAJECTORY, {"code": programme.code}
                    )
                    raise RowFailed
            first.outcome = UNCHANGED
        for row in itertools.islice(run, 1, None):
            event = (row.values["phase"], row.values["date"])
            if event in history:
                row.outcome = UNCHANGED
                continue
            self.call(
                row,
                trajectory_move,
                actor=self.actor,
                trajectory=trajectory,
                to_phase=row.values["phase"],
                on=row.values["date"],
                reason=row.values.get("reason", ""),
                outcome=row.resolved.get("outcome"),
            )
            row.outcome = UPDATED
            history.add(event)
