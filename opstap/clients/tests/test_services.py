"""Client files: validation, duplicates, encryption, special-category data and consent."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from opstap.clients import services
from opstap.clients.models import Client, Consent
from opstap.clients.tests.factories import belgian_national_number, dutch_bsn
from opstap.core import crypto
from opstap.core.identifiers import (
    IBAN_CHECKSUM,
    IBAN_FORMAT,
    IBAN_LENGTH,
    NATIONAL_NUMBER_CHECKSUM,
    NATIONAL_NUMBER_DATE,
    NATIONAL_NUMBER_FORMAT,
    NATIONAL_NUMBER_LENGTH_BE,
    NATIONAL_NUMBER_LENGTH_NL,
    POSTCODE_BE,
    POSTCODE_NL,
)
from opstap.core.models import AuditEvent
from opstap.core.roles import Role
from opstap.core.tests.factories import OrganisationFactory, member

BIRTH = datetime.date(1985, 7, 30)
NN_BE = belgian_national_number(BIRTH, 33)  # 85073003328
NN_BE_FORMATTED = "85.07.30-033.28"
BSN = dutch_bsn(7)  # 626018158
IBAN_BE = "BE71096123456769"
IBAN_NL = "NL91ABNA0417164300"


def person(**fields):
    return {
        "first_name": "Amina",
        "last_name": "Haddou",
        "birth_date": BIRTH,
        "gender": "woman",
        **fields,
    }


def create(world, *, organisation=None, reason: str = "", **fields) -> Client:
    return services.client_create(
        actor=world["adviser"],
        organisation=organisation or world.own,
        data=person(**fields),
        duplicate_override_reason=reason,
    )


def refused(world, field: str, *, organisation=None, **fields) -> list[ValidationError]:
    """The errors on `field` of a refused client_create; checks nothing was written."""
    with pytest.raises(ValidationError) as exc:
        create(world, organisation=organisation, **fields)
    assert not Client.objects.exists()
    assert not Client.history.exists()
    assert not AuditEvent.objects.exists()
    assert field in exc.value.error_dict, exc.value.error_dict
    return exc.value.error_dict[field]


def messages_of(errors: list[ValidationError]) -> list[str]:
    return [m for e in errors for m in e.messages]


def codes_of(errors: list[ValidationError]) -> list[str]:
    return [e.code for e in errors]


def create_nl(world, **fields) -> Client:
    return services.client_create(
        actor=world.other_adviser, organisation=world.other, data=person(**fields)
    )


# --- national number -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "count"),
    [("8507300332", 10), ("85.07.30-033.2", 10), ("850730033288", 12), ("85 07 30", 6)],
)
def test_belgian_national_number_of_wrong_length_says_how_many_digits_were_typed(
    world, typed, count
):
    errors = refused(world, "national_number", national_number=typed)
    assert codes_of(errors) == ["national_number_length"]
    assert messages_of(errors) == [str(NATIONAL_NUMBER_LENGTH_BE % {"count": count})]
    assert f"you typed {count}" in messages_of(errors)[0]


@pytest.mark.django_db
def test_belgian_national_number_with_a_mistyped_digit_fails_the_check(world):
    errors = refused(world, "national_number", national_number=NN_BE[:-1] + "9")
    assert codes_of(errors) == ["national_number_checksum"]
    assert messages_of(errors) == [str(NATIONAL_NUMBER_CHECKSUM)]


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["85O73003328", "85/07/30-033.2x", "ABCDEFGHIJK"])
def test_national_number_with_letters_is_a_format_error(world, typed):
    errors = refused(world, "national_number", national_number=typed)
    assert codes_of(errors) == ["national_number_format"]
    assert messages_of(errors) == [str(NATIONAL_NUMBER_FORMAT)]


@pytest.mark.django_db
def test_belgian_national_number_must_start_with_a_birth_date(world):
    base = "853230033"  # month 32 does not exist
    errors = refused(world, "national_number", national_number=f"{base}{97 - int(base) % 97:02d}")
    assert messages_of(errors) == [str(NATIONAL_NUMBER_DATE)]


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "count"), [("12345678", 8), ("1234567890", 10)])
def test_bsn_of_wrong_length_says_how_many_digits_were_typed(world, typed, count):
    errors = refused(world, "national_number", organisation=world.other, national_number=typed)
    assert messages_of(errors) == [str(NATIONAL_NUMBER_LENGTH_NL % {"count": count})]


@pytest.mark.django_db
def test_bsn_with_a_mistyped_digit_fails_the_eleven_test(world):
    errors = refused(
        world,
        "national_number",
        organisation=world.other,
        national_number=BSN[:-1] + str((int(BSN[-1]) + 1) % 10),
    )
    assert messages_of(errors) == [str(NATIONAL_NUMBER_CHECKSUM)]


@pytest.mark.django_db
def test_a_belgian_number_in_a_dutch_organisation_is_refused(world):
    errors = refused(world, "national_number", organisation=world.other, national_number=NN_BE)
    assert messages_of(errors) == [str(NATIONAL_NUMBER_LENGTH_NL % {"count": 11})]


@pytest.mark.django_db
def test_valid_numbers_are_stored_compact(world):
    be = create(world, national_number=NN_BE_FORMATTED)
    nl = create_nl(world, national_number=f"{BSN[:4]}.{BSN[4:6]}.{BSN[6:]}")
    assert be.national_number == NN_BE
    assert nl.national_number == BSN


# --- other fields ------------------------------------------------------------------------


@pytest.mark.django_db
def test_birth_date_in_the_future_is_refused(world):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    errors = refused(world, "birth_date", birth_date=tomorrow)
    assert codes_of(errors) == ["birth_date_future"]
    assert messages_of(errors) == [str(services.BIRTH_DATE_FUTURE)]


@pytest.mark.django_db
def test_birth_date_today_is_accepted(world):
    today = timezone.localdate()
    assert create(world, birth_date=today).birth_date == today


@pytest.mark.django_db
def test_birth_date_121_years_ago_is_refused(world):
    # A test of its own: the audit log is append-only, so the accepted client's event above
    # cannot be deleted to make `refused` see an empty log.
    today = timezone.localdate()
    errors = refused(world, "birth_date", birth_date=today.replace(year=today.year - 121))
    assert messages_of(errors) == [str(services.BIRTH_DATE_TOO_OLD)]


@pytest.mark.django_db
@pytest.mark.parametrize("postcode", ["0999", "999", "10000", "1000 AB", "B-1000"])
def test_belgian_postcode_has_four_digits(world, postcode):
    errors = refused(world, "postcode", postcode=postcode)
    assert messages_of(errors) == [str(POSTCODE_BE)]


@pytest.mark.django_db
@pytest.mark.parametrize("postcode", ["1012", "1012 A", "0123 AB", "1012 SA", "AB 1012"])
def test_dutch_postcode_has_four_digits_and_two_letters(world, postcode):
    errors = refused(world, "postcode", organisation=world.other, postcode=postcode)
    assert messages_of(errors) == [str(POSTCODE_NL)]


@pytest.mark.django_db
def test_postcodes_are_normalised(world):
    assert create(world, postcode=" 1080 ").postcode == "1080"
    assert create_nl(world, first_name="B", postcode="1012ab").postcode == "1012 AB"


@pytest.mark.django_db
def test_iban_with_a_mistyped_character_fails_the_check(world):
    errors = refused(world, "iban", iban=IBAN_BE[:-1] + "8")
    assert codes_of(errors) == ["iban_checksum"]
    assert messages_of(errors) == [str(IBAN_CHECKSUM)]


@pytest.mark.django_db
def test_iban_is_stored_compact_and_encrypted(world):
    client = create(world, iban="be71 0961 2345 6769")
    assert client.iban == IBAN_BE
    assert IBAN_BE not in client.iban_encrypted


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("iban", "message", "params"),
    [
        (IBAN_BE[:-1], IBAN_LENGTH, {"expected": 16, "count": 15}),
        (IBAN_NL[:-2], IBAN_LENGTH, {"expected": 18, "count": 16}),
        ("not an iban", IBAN_FORMAT, None),
    ],
)
def test_iban_error_names_what_is_wrong(world, iban, message, params):
    errors = refused(world, "iban", iban=iban)
    assert messages_of(errors) == [str(message) % params if params else str(message)]


@pytest.mark.django_db
@pytest.mark.parametrize("household", ["single", "", None])
def test_children_only_for_a_single_parent_or_a_couple(world, household):
    errors = refused(world, "children_ages", household=household, children_ages=[3, 7])
    assert codes_of(errors) == ["children_household"]
    assert messages_of(errors) == [str(services.CHILD_AGES_HOUSEHOLD)]


@pytest.mark.django_db
@pytest.mark.parametrize("ages", [[3, 31], [-1], ["7"], [True]])
def test_children_ages_are_whole_numbers_from_0_to_30(world, ages):
    errors = refused(world, "children_ages", household="couple", children_ages=ages)
    assert codes_of(errors) == ["children_ages"]


@pytest.mark.django_db
@pytest.mark.parametrize("household", ["single_parent", "couple"])
def test_children_with_a_parent(world, household):
    assert create(world, household=household, children_ages=[0, 30]).number_of_children == 2


@pytest.mark.django_db
def test_negative_income_is_refused(world):
    errors = refused(
        world, "income_monthly", income_monthly=Decimal("-0.01"), income_source="social_assistance"
    )
    assert messages_of(errors) == [str(services.INCOME_NEGATIVE)]


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [Decimal("850.00"), Decimal("0")])
def test_income_needs_a_source(world, amount):
    errors = refused(world, "income_source", income_monthly=amount)
    assert messages_of(errors) == [str(services.INCOME_WITHOUT_SOURCE)]


@pytest.mark.django_db
def test_preferred_language_must_be_spoken(world):
    errors = refused(world, "preferred_language", languages=["nl", "fr"], preferred_language="ar")
    assert messages_of(errors) == [str(services.PREFERRED_LANGUAGE_NOT_SPOKEN)]
    client = create(world, languages=["nl", "ar"], preferred_language="ar")
    assert client.preferred_language == "ar"


@pytest.mark.django_db
def test_adviser_must_be_an_active_member_of_the_organisation(world):
    errors = refused(world, "adviser", adviser=world.other_adviser)
    assert messages_of(errors) == [str(services.ADVISER_NOT_MEMBER)]


@pytest.mark.django_db
def test_every_bad_field_is_named_at_once_and_nothing_is_saved(world):
    with pytest.raises(ValidationError) as exc:
        create(
            world,
            national_number="123",
            postcode="12",
            iban=IBAN_BE[:-1] + "8",
            birth_date=timezone.localdate() + datetime.timedelta(days=3),
            income_monthly=Decimal("-5"),
            income_source="other",
        )
    assert set(exc.value.error_dict) == {
        "national_number",
        "postcode",
        "iban",
        "birth_date",
        "income_monthly",
    }
    assert not Client.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_refused_update_changes_nothing(world):
    client = create(world, postcode="1080", national_number=NN_BE)
    stored = Client.objects.filter(pk=client.pk).values().get()
    events, history = AuditEvent.objects.count(), client.history.count()
    with pytest.raises(ValidationError):
        services.client_update(
            actor=world["adviser"], client=client, data={"postcode": "10", "first_name": "Anders"}
        )
    assert Client.objects.filter(pk=client.pk).values().get() == stored
    assert (AuditEvent.objects.count(), client.history.count()) == (events, history)


# --- duplicates ------------------------------------------------------------------------


@pytest.mark.django_db
def test_same_national_number_is_refused_with_a_link_to_the_existing_file(world):
    first = create(world, national_number=NN_BE)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        # Another name, the number typed another way, and a reason: still the same person.
        create(world, first_name="Anna", national_number=NN_BE_FORMATTED, reason="andere persoon")
    errors = exc.value.error_dict["national_number"]
    assert codes_of(errors) == ["duplicate_national_number"]
    assert f'href="{reverse("clients:detail", args=[first.pk])}"' in messages_of(errors)[0]
    assert "Amina Haddou" in messages_of(errors)[0]
    assert Client.objects.count() == 1
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_update_to_a_number_of_another_file_is_refused(world):
    first = create(world, national_number=NN_BE)
    second = create(world, first_name="Anna", last_name="Peeters")
    with pytest.raises(ValidationError) as exc:
        services.client_update(
            actor=world["adviser"], client=second, data={"national_number": NN_BE}
        )
    assert f'href="/clients/{first.pk}/"' in exc.value.message_dict["national_number"][0]
    assert Client.objects.get(pk=second.pk).national_number == ""


@pytest.mark.django_db
def test_same_national_number_in_another_organisation_is_another_file(world):
    create(world, national_number=NN_BE)
    elsewhere = OrganisationFactory(country="BE")
    adviser = member(elsewhere, Role.ADVISER)
    client = services.client_create(
        actor=adviser, organisation=elsewhere, data=person(national_number=NN_BE)
    )
    assert client.national_number == NN_BE


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   "])
def test_same_name_and_birth_date_is_refused_without_a_reason(world, reason):
    first = create(world)
    with pytest.raises(ValidationError) as exc:
        create(world, first_name="AMINA", last_name="Haddou ", reason=reason)
    errors = exc.value.error_dict["__all__"]
    assert codes_of(errors) == ["possible_duplicate"]
    assert f'href="/clients/{first.pk}/"' in messages_of(errors)[0]
    assert Client.objects.count() == 1


@pytest.mark.django_db
def test_same_name_and_birth_date_is_accepted_with_a_reason_that_is_audited(world):
    first = create(world)
    second = create(world, reason="  Andere persoon: andere moeder, ander adres.  ")
    assert Client.objects.count() == 2
    event = AuditEvent.objects.get(action="client.create", object_id=str(second.pk))
    assert event.changes["_"] == {
        "duplicate_override_reason": "Andere persoon: andere moeder, ander adres.",
        "possible_duplicates": [first.pk],
    }
    # The first file's creation needed no reason.
    assert (
        "_" not in AuditEvent.objects.get(action="client.create", object_id=str(first.pk)).changes
    )


@pytest.mark.django_db
def test_renaming_into_a_possible_duplicate_needs_a_reason_too(world):
    create(world)
    other = create(world, first_name="Anna")
    with pytest.raises(ValidationError) as exc:
        services.client_update(actor=world["adviser"], client=other, data={"first_name": "Amina"})
    assert codes_of(exc.value.error_dict["__all__"]) == ["possible_duplicate"]
    services.client_update(
        actor=world["adviser"],
        client=other,
        data={"first_name": "Amina"},
        duplicate_override_reason="tweeling",
    )
    event = AuditEvent.objects.filter(action="client.update").get()
    assert event.changes["_"] == {"duplicate_override_reason": "tweeling"}
    assert event.changes["first_name"] == ["Anna", "Amina"]


# --- encryption --------------------------------------------------------------------------


def raw_rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (a fixed table name)
        return cursor.fetchall()


@pytest.mark.django_db
def test_national_number_and_iban_are_not_stored_in_clear(world):
    client = create(world, national_number=NN_BE, iban=IBAN_BE)
    for table in ("clients_client", "clients_historicalclient"):
        dump = repr(raw_rows(table))
        assert NN_BE not in dump and NN_BE_FORMATTED not in dump, table
        assert IBAN_BE not in dump, table
    assert client.national_number_encrypted
    # The keyed hash finds the file without decrypting anything.
    found = Client.objects.filter(national_number_hash=crypto.lookup_hash(NN_BE))
    assert list(found) == [client]
    assert client.national_number_hash != NN_BE


@pytest.mark.django_db
@pytest.mark.parametrize("typed", [NN_BE, NN_BE_FORMATTED, f" {NN_BE} "])
def test_search_finds_a_client_by_national_number(world, typed):
    client = create(world, national_number=NN_BE)
    create(world, first_name="Anna", national_number=belgian_national_number(BIRTH, 35))
    assert list(Client.objects.search(typed)) == [client]


@pytest.mark.django_db
def test_masked_national_number_shows_only_the_last_three_digits(world):
    client = create(world, national_number=NN_BE)
    assert client.national_number_masked == "•" * 8 + "328"
    nl = create_nl(world, national_number=BSN)
    assert nl.national_number_masked == "•" * 6 + BSN[-3:]
    assert create(world, first_name="Zonder").national_number_masked == ""


@pytest.fixture
def keys(settings):
    """Lets a test change FIELD_ENCRYPTION_KEYS; the cached keys are dropped before and after."""
    crypto.reset_cache()
    yield settings
    crypto.reset_cache()


@pytest.mark.django_db
def test_key_rotation_old_tokens_still_decrypt_and_rotate_moves_them_to_the_new_key(world, keys):
    old_key = keys.FIELD_ENCRYPTION_KEYS[0]
    client = create(world, national_number=NN_BE, iban=IBAN_BE)
    old_token = client.national_number_encrypted

    new_key = Fernet.generate_key().decode()
    keys.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    crypto.reset_cache()
    client = Client.objects.get(pk=client.pk)
    assert client.national_number == NN_BE
    assert client.iban == IBAN_BE

    rotated = crypto.rotate(old_token)
    assert rotated != old_token
    assert Fernet(new_key.encode()).decrypt(rotated.encode()).decode() == NN_BE
    with pytest.raises(InvalidToken):
        Fernet(old_key.encode()).decrypt(rotated.encode())
    # New values are encrypted with the newest key only.
    fresh = crypto.encrypt("secret")
    assert Fernet(new_key.encode()).decrypt(fresh.encode()) == b"secret"
    # The lookup hash does not depend on the encryption keys.
    assert list(Client.objects.search(NN_BE)) == [client]


@pytest.mark.django_db
def test_rotatekeys_reencrypts_every_client_with_the_new_key(world, keys):
    old_key = keys.FIELD_ENCRYPTION_KEYS[0]
    numbers = [belgian_national_number(BIRTH, i) for i in range(3)]
    pks = [
        create(world, first_name=f"P{i}", national_number=n, iban=IBAN_BE).pk
        for i, n in enumerate(numbers)
    ]
    new_key = Fernet.generate_key().decode()
    keys.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    crypto.reset_cache()
    call_command("rotatekeys", stdout=io.StringIO())

    keys.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is retired
    crypto.reset_cache()
    for pk, number in zip(pks, numbers, strict=True):
        after = Client.objects.get(pk=pk)
        assert after.national_number == number
        assert after.iban == IBAN_BE


@pytest.mark.django_db
def test_rotatekeys_leaves_no_token_of_the_old_key_behind(world, keys):
    # The history (django-simple-history) holds earlier versions of the tokens too.
    old_key = keys.FIELD_ENCRYPTION_KEYS[0]
    client = create(world, national_number=NN_BE, iban=IBAN_BE)
    new_key = Fernet.generate_key().decode()
    keys.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    crypto.reset_cache()
    call_command("rotatekeys", stdout=io.StringIO())
    old, new = Fernet(old_key.encode()), Fernet(new_key.encode())
    records = list(client.history.all())
    assert records
    for record in records:
        for token, value in (
            (record.national_number_encrypted, NN_BE),
            (record.iban_encrypted, IBAN_BE),
        ):
            assert new.decrypt(token.encode()).decode() == value
            with pytest.raises(InvalidToken):
                old.decrypt(token.encode())


# --- special-category data and consent ---------------------------------------------------


def give_consent(world, client, purpose="special_category", **extra):
    return services.consent_record(
        actor=world["adviser"],
        client=client,
        purpose=purpose,
        given_on=timezone.localdate() - datetime.timedelta(days=1),
        text_version="2026-01",
        **extra,
    )


@pytest.mark.django_db
def test_special_category_data_is_refused_at_creation(world):
    errors = refused(world, "has_disability", has_disability=True)
    assert codes_of(errors) == ["special_category_consent"]
    assert messages_of(errors) == [str(services.SPECIAL_CATEGORY_WITHOUT_CONSENT)]


@pytest.mark.django_db
@pytest.mark.parametrize("purpose", [None, "case_management", "research"])
def test_special_category_data_needs_a_special_category_consent(world, purpose):
    client = create(world)
    if purpose:
        give_consent(world, client, purpose=purpose)
    with pytest.raises(ValidationError) as exc:
        services.client_update(
            actor=world["adviser"],
            client=client,
            data={"has_disability": False, "minority_background": True},
        )
    assert set(exc.value.error_dict) == {"has_disability", "minority_background"}
    client.refresh_from_db()
    assert (client.has_disability, client.minority_background) == (None, None)


@pytest.mark.django_db
def test_a_withdrawn_special_category_consent_does_not_count(world):
    client = create(world)
    services.consent_withdraw(actor=world["adviser"], consent=give_consent(world, client))
    with pytest.raises(ValidationError):
        services.client_update(actor=world["adviser"], client=client, data={"has_disability": True})


@pytest.fixture
def recorded(world):
    """A client with special-category data recorded under a consent."""
    client = create(world)
    consent = give_consent(world, client)
    services.client_update(
        actor=world["adviser"],
        client=client,
        data={"has_disability": True, "minority_background": False},
    )
    client.refresh_from_db()
    assert (client.has_disability, client.minority_background) == (True, False)
    return client, consent


@pytest.mark.django_db
def test_withdrawing_the_consent_erases_the_special_category_data(world, recorded):
    client, consent = recorded
    services.consent_withdraw(actor=world["benefits_officer"], consent=consent)
    client.refresh_from_db()
    assert (client.has_disability, client.minority_background) == (None, None)
    event = AuditEvent.objects.get(action="client.erase_special_category")
    assert (event.actor, event.client) == (world["benefits_officer"], client)
    assert event.changes["has_disability"][1] is None
    assert event.changes["minority_background"][1] is None


@pytest.mark.django_db
def test_erasure_waits_for_the_last_special_category_consent(world, recorded):
    client, consent = recorded
    second = Consent.objects.create(
        client=client,
        purpose="special_category",
        given_on=consent.given_on,
        text_version="2026-02",
        recorded_by=world["adviser"],
    )
    services.consent_withdraw(actor=world["adviser"], consent=consent)
    client.refresh_from_db()
    assert client.has_disability is True
    services.consent_withdraw(actor=world["adviser"], consent=second)
    client.refresh_from_db()
    assert client.has_disability is None


@pytest.mark.django_db
def test_erased_special_category_data_is_not_kept_in_the_audit_log(world, recorded):
    client, consent = recorded
    services.consent_withdraw(actor=world["adviser"], consent=consent)
    for event in AuditEvent.objects.filter(client=client):
        for field in services.SPECIAL_CATEGORY_FIELDS:
            assert field not in event.changes or True not in event.changes[field], event.action


@pytest.mark.django_db
def test_erased_special_category_data_is_not_kept_in_the_history(world, recorded):
    client, consent = recorded
    services.consent_withdraw(actor=world["adviser"], consent=consent)
    assert not client.history.filter(has_disability__isnull=False).exists()
    assert not client.history.filter(minority_background__isnull=False).exists()


@pytest.mark.django_db
def test_consent_record_writes_the_consent_and_its_audit_event(world):
    client = create(world)
    consent = give_consent(world, client, purpose="partner_sharing", partner=world.other)
    assert consent.is_active
    event = AuditEvent.objects.get(action="consent.record")
    assert (event.client, event.actor) == (client, world["adviser"])
    assert event.changes["partner"] == [None, "Gemeente Emmerveen"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("purpose", "partner", "days", "field", "code", "message"),
    [
        (
            "case_management",
            None,
            1,
            "given_on",
            "consent_date_future",
            services.CONSENT_DATE_FUTURE,
        ),
        ("partner_sharing", None, 0, "partner", "partner_required", services.PARTNER_REQUIRED),
        ("research", "other", 0, "partner", "partner_not_allowed", services.PARTNER_NOT_ALLOWED),
        ("partner_sharing", "own", 0, "partner", "partner_is_self", services.PARTNER_IS_SELF),
    ],
)
def test_consent_record_refuses(world, purpose, partner, days, field, code, message):
    client = create(world)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.consent_record(
            actor=world["adviser"],
            client=client,
            purpose=purpose,
            partner=getattr(world, partner) if partner else None,
            given_on=timezone.localdate() + datetime.timedelta(days=days),
            text_version="v1",
        )
    assert codes_of(exc.value.error_dict[field]) == [code]
    assert messages_of(exc.value.error_dict[field]) == [str(message)]
    assert not Consent.objects.exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_consent_record_refuses_a_second_active_consent_for_the_same_purpose(world):
    client = create(world)
    first = give_consent(world, client, purpose="case_management")
    with pytest.raises(ValidationError) as exc:
        give_consent(world, client, purpose="case_management")
    assert codes_of(exc.value.error_dict["purpose"]) == ["consent_duplicate"]
    assert messages_of(exc.value.error_dict["purpose"]) == [str(services.CONSENT_DUPLICATE)]
    assert client.consents.count() == 1
    # Once withdrawn, it can be given again.
    services.consent_withdraw(actor=world["adviser"], consent=first)
    give_consent(world, client, purpose="case_management")
    assert client.consents.active().count() == 1


@pytest.mark.django_db
def test_partner_sharing_is_one_consent_per_partner(world):
    client = create(world)
    third = OrganisationFactory(name="OCMW Anderlecht")
    give_consent(world, client, purpose="partner_sharing", partner=world.other)
    give_consent(world, client, purpose="partner_sharing", partner=third)
    with pytest.raises(ValidationError):
        give_consent(world, client, purpose="partner_sharing", partner=third)
    assert client.consents.count() == 2


@pytest.mark.django_db
def test_consent_withdraw_twice_says_already_withdrawn(world):
    client = create(world)
    consent = give_consent(world, client, purpose="research")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    services.consent_withdraw(actor=world["adviser"], consent=consent, on=yesterday)
    with pytest.raises(ValidationError) as exc:
        services.consent_withdraw(
            actor=world["job_coach"], consent=Consent.objects.get(pk=consent.pk)
        )
    assert exc.value.code == "consent_already_withdrawn"
    assert exc.value.messages == [str(services.CONSENT_ALREADY_WITHDRAWN)]
    consent.refresh_from_db()
    assert (consent.withdrawn_on, consent.withdrawn_by) == (yesterday, world["adviser"])
    assert AuditEvent.objects.filter(action="consent.withdraw").count() == 1


@pytest.mark.django_db
def test_coach_must_be_an_active_member(world):
    client = create(world)
    with pytest.raises(ValidationError) as exc:
        services.coach_assign(actor=world["adviser"], client=client, coach=world.other_adviser)
    assert exc.value.message_dict["coach"] == [str(services.COACH_NOT_MEMBER)]
    assert not client.coach_assignments.exists()


# --- the audit log never holds identity numbers in clear -------------------------------


@pytest.mark.django_db
def test_audit_log_never_contains_the_national_number_or_iban(world):
    client = create(world, national_number=NN_BE, iban=IBAN_BE)
    new_number = belgian_national_number(BIRTH, 35)
    services.client_update(
        actor=world["adviser"], client=client, data={"national_number": new_number, "iban": IBAN_NL}
    )
    services.client_update(
        actor=world["adviser"], client=client, data={"national_number": "", "iban": ""}
    )
    services.client_update(
        actor=world["adviser"],
        client=client,
        data={"national_number": NN_BE_FORMATTED, "iban": IBAN_BE},
    )
    nl_client = create_nl(world, national_number=BSN, iban=IBAN_NL)
    services.coach_assign(
        actor=world.other_adviser, client=nl_client, coach=member(world.other, Role.VOLUNTEER)
    )

    events = list(AuditEvent.objects.values("object_repr", "changes"))
    dump = json.dumps(events, ensure_ascii=False)
    for secret in (NN_BE, NN_BE_FORMATTED, new_number, BSN, IBAN_BE, IBAN_NL, "0961 2345"):
        assert secret not in dump
    hashes = {crypto.lookup_hash(n) for n in (NN_BE, new_number, BSN)}
    assert not any(h in dump for h in hashes)
    # ...yet the log does say that they changed.
    update = AuditEvent.objects.filter(action="client.update").order_by("id").first()
    assert update.changes["national_number"] == ["•••", "•••"]
    assert update.changes["iban"] == ["•••", "•••"]
