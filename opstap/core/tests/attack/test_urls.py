"""URL discovery: every pattern of our apps has its arguments mapped to the world's objects."""

from __future__ import annotations

from django.urls import resolve

from opstap.core.tests.attack.world import OUTSIDE_ORGANISATIONS, patterns, unmapped, url


def test_every_url_argument_is_mapped_to_an_object():
    missing = {p.name: unmapped(p) for p in patterns() if unmapped(p)}
    assert not missing, f"add these URL arguments to ARGUMENTS in attack/world.py: {missing}"


def test_the_walk_finds_every_app(attack_world):
    found = patterns()
    namespaces = {p.namespace for p in found}
    assert {"clients", "journeys", "lending", "plans", "referrals", "coaching"} <= namespaces
    assert not any(p.route.startswith(("admin/", "i18n/")) for p in found)
    assert {p.name for p in found} >= OUTSIDE_ORGANISATIONS


def test_every_filled_url_resolves_to_its_pattern(attack_world):
    for pattern in patterns():
        for side in (attack_world.own, attack_world.other):
            assert resolve(url(pattern, {"*": side})).view_name == pattern.name
