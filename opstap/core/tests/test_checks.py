"""`check --deploy` refuses a production configuration without the second factor."""

from __future__ import annotations

from opstap.core.checks import sign_in_is_not_weakened


def test_production_refuses_a_disabled_or_bypassed_second_factor(settings):
    settings.PRODUCTION = True
    settings.OPSTAP_MFA_REQUIRED = True
    settings.OPSTAP_MFA_EXEMPT_DOMAINS = []
    assert sign_in_is_not_weakened(None) == []
    settings.OPSTAP_MFA_REQUIRED = False
    settings.OPSTAP_MFA_EXEMPT_DOMAINS = ["opstap.demo"]
    assert [e.id for e in sign_in_is_not_weakened(None)] == ["opstap.E001", "opstap.E002"]


def test_development_keeps_the_demo_bypass(settings):
    settings.PRODUCTION = False
    settings.OPSTAP_MFA_EXEMPT_DOMAINS = ["opstap.demo"]
    assert sign_in_is_not_weakened(None) == []
