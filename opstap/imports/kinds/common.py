"""Words the kinds share: phases as organisations write them, and messages about rows."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from opstap.journeys.phases import Phase

from ..columns import Choice

# How files name the phases, besides the codes and the labels in nl/fr/en.
PHASE_WORDS: dict[str, tuple[str, ...]] = {
    Phase.OUTREACH: (
        "outreach",
        "sensitised",
        "sensitized",
        "sensibilisering",
        "sensibiliseren",
        "gesensibiliseerd",
        "sensibilisation",
        "sensibilises",
    ),
    Phase.INFORMED: ("informed", "geinformeerd", "informeren", "informes", "information"),
    Phase.INTAKE: ("intake", "detection", "detectie", "detection intake", "accueil"),
    Phase.GUIDANCE: ("guidance", "begeleiding", "trajectbegeleiding", "accompagnement"),
    Phase.FINANCING: ("financing", "financiering", "financement"),
    Phase.STARTED: ("started", "start up", "gestart", "opstart", "opgestart", "lances", "demarre"),
    Phase.AFTERCARE: ("aftercare", "nazorg", "suivi", "suivi post creation"),
    Phase.CLOSED: ("closed", "gesloten", "afgesloten", "cloture", "clos", "ferme", "termine"),
}

PHASE = Choice(Phase.choices, aliases=PHASE_WORDS)

SAME_KEY_IN_FILE = _("The same %(what)s is already on row %(row)s.")
