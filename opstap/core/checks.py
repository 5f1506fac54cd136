"""System checks for the trust settings: `opstap check --deploy` refuses a production
configuration that weakens signing in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def sign_in_is_not_weakened(app_configs: Any, **kwargs: Any) -> list[Error]:
    if not getattr(settings, "PRODUCTION", False):
        return []
    problems = []
    if not settings.OPSTAP_MFA_REQUIRED:
        problems.append(
            Error(
                "OPSTAP_MFA_REQUIRED is off: a password alone opens client files.",
                hint="Remove OPSTAP_MFA_REQUIRED=0 from the production environment.",
                id="opstap.E001",
            )
        )
    if settings.OPSTAP_MFA_EXEMPT_DOMAINS:
        problems.append(
            Error(
                "OPSTAP_MFA_EXEMPT_DOMAINS exempts accounts from the second factor.",
                hint="The exemption is for the local demo only; remove it in production.",
                id="opstap.E002",
            )
        )
    return problems
