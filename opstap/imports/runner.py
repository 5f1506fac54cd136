"""One entry point for the command and the page: a file's bytes in, an ImportResult out."""

from __future__ import annotations

from opstap.core.models import Membership, Organisation, User
from opstap.core.roles import Capability

from .base import ImportResult, run_import
from .kinds import IMPORTERS
from .readers import read_table

# Who may import: whoever may create and edit client files (organisation admins, advisers,
# and the other roles holding that capability). Columns that need more (national numbers,
# income, IBAN) also need the capability to see them (Column.capability).
IMPORT_CAPABILITY = Capability.EDIT_CLIENTS


def may_import(membership: Membership | None) -> bool:
    return membership is not None and membership.can(IMPORT_CAPABILITY)


def import_file(
    *,
    kind: str,
    data: bytes,
    filename: str,
    organisation: Organisation,
    actor: User | None,
    dry_run: bool,
) -> ImportResult:
    """Read and import; raises readers.FileProblem when the file as a whole is unreadable."""
    table = read_table(data, filename)
    importer = IMPORTERS[kind](organisation=organisation, actor=actor)
    return run_import(importer, table, dry_run=dry_run)
