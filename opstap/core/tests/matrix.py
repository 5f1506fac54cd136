"""What every app's permission matrix shares: the personas beyond the roles, the two rules
that complete a table of statuses, and the parametrised cases.

A matrix row is (url name, method, status for each role in the module's ROLES order…).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from opstap.core.roles import Role

ANONYMOUS = "anonymous"
# An admin of the other organisation: sees objects of their own organisation only.
OTHER_ORG = "other_org_admin"


def personas(roles: Sequence[str]) -> list[str]:
    return [ANONYMOUS, *roles, OTHER_ORG]


def expected_status(
    row: tuple, persona: str, scope: str, *, roles: Sequence[str], object_pages: Iterable[str]
) -> int:
    """The table's status plus its two rules: anonymous visitors go to the login page, and
    an object of another organisation answers 404."""
    if persona == ANONYMOUS:
        return 302
    home = "other" if persona == OTHER_ORG else "own"
    role = Role.ORG_ADMIN if persona == OTHER_ORG else persona
    if row[0] in object_pages and scope != home:
        return 404
    return dict(zip(roles, row[2:], strict=True))[role]


def matrix_cases(
    matrix: Iterable[tuple], object_pages: Iterable[str], roles: Sequence[str]
) -> list[Any]:
    """One case per row × persona × scope (own and other organisation for object pages)."""
    object_pages = set(object_pages)
    return [
        pytest.param(row, persona, scope, id=f"{row[0]}|{row[1]}|{persona}|{scope}")
        for row in matrix
        for persona in personas(roles)
        for scope in (["own", "other"] if row[0] in object_pages else ["-"])
    ]
