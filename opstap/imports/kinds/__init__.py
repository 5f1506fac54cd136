"""The kinds of import, by the name the command and the page use."""

from __future__ import annotations

from ..base import Importer
from .activities import ActivityImporter
from .clients import ClientImporter
from .programmes import ProgrammeImporter
from .trajectories import TrajectoryImporter

IMPORTERS: dict[str, type[Importer]] = {
    importer.kind: importer
    for importer in (ProgrammeImporter, ClientImporter, TrajectoryImporter, ActivityImporter)
}
