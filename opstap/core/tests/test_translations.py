"""Every string a user reads exists in Dutch and French, with its placeholders intact."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def catalogue(language: str) -> polib.POFile:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"missing catalogue {path}"
    return polib.pofile(str(path))


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_catalogue_is_complete(language):
    po = catalogue(language)
    assert len(po) > 100
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert untranslated == [], f"{language}: untranslated {untranslated[:10]}"
    assert fuzzy == [], f"{language}: fuzzy {fuzzy[:10]}"


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_placeholders_survive_translation(language):
    for entry in catalogue(language).translated_entries():
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            # A singular form may spell the number out ("één"), so it may drop %(counter)s.
            found = [p for p in sorted(PLACEHOLDER.findall(translation)) if p != "%(counter)s"]
            assert found == [p for p in expected if p != "%(counter)s"], (language, entry.msgid)


def test_english_catalogue_exists():
    assert catalogue("en") is not None


PAGES = ["/", "/clients/", "/clients/new/", "/members/", "/audit/"]
ENGLISH_LEFTOVERS = ["First name", "Search", "Members", "Dashboard", "Log out", "Save"]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "fr"])
def test_pages_show_no_english(world, login, language):
    http = login(world["org_admin"])
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in PAGES:
        html = http.get(url).content.decode()
        assert f'<html lang="{language}"' in html
        visible = re.sub(
            r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
        )
        leftovers = [w for w in ENGLISH_LEFTOVERS if re.search(rf"\b{w}\b", visible)]
        assert leftovers == [], f"{url} in {language} still shows {leftovers}"
