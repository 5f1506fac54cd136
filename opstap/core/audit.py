"""Writing the audit trail: services call these inside their own transaction.

The chain
---------
AuditEvent and FileAccess rows form one hash chain per organisation and log ("events",
"accesses"). A row's ``row_hash`` is the SHA-256 of a canonical JSON of its content (the
model's CHAIN_FIELDS, the log's name and ``previous_hash``); ``previous_hash`` is the
``row_hash`` of the row before it in the same chain, or GENESIS for the first. Rows are
chained in Python before they are inserted (``chain_rows``, called by the models' save() and
bulk_create()), while the chain's AuditChainHead row is locked: SELECT … FOR UPDATE on
PostgreSQL, and on SQLite the IMMEDIATE transaction already lets one writer in at a time. So
concurrent writers line up, and each chain in id order is the order of the links.
``verify_chains`` recomputes every chain and names the first broken link.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone

from .models import AuditChainHead, AuditEvent, ChainedLogRow, FileAccess, Organisation, User

GENESIS = "0" * 64
CHAINED_MODELS: tuple[type[ChainedLogRow], ...] = (AuditEvent, FileAccess)

# Values of these fields never enter the audit log; the log only says they changed.
# Special-category values are left out too: withdrawing consent must erase them everywhere.
REDACTED_FIELDS = frozenset(
    {"national_number", "iban", "password", "has_disability", "minority_background"}
)
REDACTED = "•••"


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def changes_between(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Field → [old, new] for the fields whose value differs, sensitive values redacted."""
    changed: dict[str, list[Any]] = {}
    for field in sorted(set(old) | set(new)):
        before, after = old.get(field), new.get(field)
        if before == after:
            continue
        if field in REDACTED_FIELDS:
            changed[field] = [REDACTED if before else None, REDACTED if after else None]
        else:
            changed[field] = [_jsonable(before), _jsonable(after)]
    return changed


def audit_record(
    *,
    actor: User | None,
    organisation: Organisation | None,
    action: str,
    obj: models.Model,
    client: models.Model | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    changes: dict[str, Any] = changes_between(old or {}, new or {})
    if extra:
        changes["_"] = {k: _jsonable(v) for k, v in extra.items()}
    return AuditEvent.objects.create(
        organisation=organisation,
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        client=client,
        changes=changes,
    )


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        # One spelling of an instant, whatever the database and time zone hand back.
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    return value


def row_content(model: type[models.Model], row: Any) -> dict[str, Any]:
    """The hashed values of a row (a model instance, or a historical one in a migration)."""
    content = {name: _canonical(getattr(row, name)) for name in model.CHAIN_FIELDS}  # type: ignore[attr-defined]
    if "changes" in content:
        # As the database will hand it back: tuples become lists, keys become strings.
        content["changes"] = json.loads(json.dumps(content["changes"]))
    return content


def row_hash(log: str, content: dict[str, Any], previous_hash: str) -> str:
    document = {"log": log, "row": content, "previous_hash": previous_hash}
    # ASCII with escapes: one spelling for every text, a lone surrogate in a JSON value too.
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def chain_key(log: str, organisation_id: int | None) -> str:
    return f"{log}:{organisation_id or 0}"


def _locked_head(log: str, organisation_id: int | None, using: str) -> AuditChainHead:
    key = chain_key(log, organisation_id)
    heads = AuditChainHead.objects.using(using).select_for_update()
    head = heads.filter(chain=key).first()
    if head is None:
        # Two first writers may race: one inserts, the other's insert does nothing, and both
        # then wait for the lock on the same row.
        AuditChainHead.objects.using(using).bulk_create(
            [AuditChainHead(chain=key, log=log, organisation_id=organisation_id)],
            ignore_conflicts=True,
        )
        head = heads.get(chain=key)
    return head


def chain_rows(model: type[ChainedLogRow], rows: Sequence[ChainedLogRow], *, using: str) -> None:
    """Give unsaved rows their previous_hash and row_hash, in list order, and move their
    chains' heads. Must run in the transaction that inserts the rows."""
    if not rows:
        return
    by_organisation: dict[int | None, list[ChainedLogRow]] = defaultdict(list)
    for row in rows:
        by_organisation[row.organisation_id].append(row)  # type: ignore[attr-defined]
    # A fixed lock order, so two writers of several chains cannot deadlock.
    for organisation_id in sorted(by_organisation, key=lambda pk: pk or 0):
        group = by_organisation[organisation_id]
        head = _locked_head(model.CHAIN_LOG, organisation_id, using)
        previous = head.last_hash or GENESIS
        for row in group:
            if getattr(row, model.TIME_FIELD) is None:
                setattr(row, model.TIME_FIELD, timezone.now())
            row.previous_hash = previous
            row.row_hash = row_hash(model.CHAIN_LOG, row_content(model, row), previous)
            previous = row.row_hash
        AuditChainHead.objects.using(using).filter(pk=head.pk).update(
            last_hash=previous, length=F("length") + len(group)
        )


@dataclass(frozen=True)
class BrokenLink:
    table: str
    row_id: int | None
    at: datetime.datetime | None
    reason: str


@dataclass(frozen=True)
class ChainReport:
    log: str
    organisation_id: int | None
    organisation_slug: str
    # The rows checked and found good (up to the broken link, if any).
    rows: int
    last_hash: str
    broken: BrokenLink | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _verify_one(
    model: type[ChainedLogRow], organisation_id: int | None, head: AuditChainHead | None
) -> tuple[int, str, BrokenLink | None]:
    table = model._meta.db_table
    rows = (
        model.objects.filter(organisation_id=organisation_id)
        .order_by("id")
        .only("id", "previous_hash", "row_hash", *model.CHAIN_FIELDS)
    )
    previous, count = GENESIS, 0
    for row in rows.iterator(chunk_size=2000):
        count += 1
        at = getattr(row, model.TIME_FIELD)
        if row.previous_hash != previous:
            reason = (
                "its previous_hash does not match the row before it: a row in between was "
                "removed or inserted, or this link was altered"
            )
            return count - 1, previous, BrokenLink(table, row.pk, at, reason)
        if row_hash(model.CHAIN_LOG, row_content(model, row), previous) != row.row_hash:
            reason = "its content no longer matches its hash: the row was changed"
            return count - 1, previous, BrokenLink(table, row.pk, at, reason)
        previous = row.row_hash
    expected_length = head.length if head else 0
    expected_hash = (head.last_hash if head else "") or GENESIS
    if count != expected_length or previous != expected_hash:
        reason = (
            f"the chain head expects {expected_length} rows ending in {expected_hash[:12]}…, "
            f"the table holds {count} ending in {previous[:12]}…: rows were removed at the "
            "end or written around the chain"
        )
        return count, previous, BrokenLink(table, None, None, reason)
    return count, previous, None


def verify_chains(organisation: Organisation | None = None) -> Iterator[ChainReport]:
    """Recompute every chain (or one organisation's): one report per organisation and log."""
    heads = {head.chain: head for head in AuditChainHead.objects.all()}
    organisations = [organisation] if organisation else list(Organisation.objects.order_by("slug"))
    chains: list[tuple[int | None, str]] = [(o.pk, o.slug) for o in organisations]
    if organisation is None:
        chains.append((None, "-"))
    for model in CHAINED_MODELS:
        for organisation_id, slug in chains:
            head = heads.get(chain_key(model.CHAIN_LOG, organisation_id))
            count, last, broken = _verify_one(model, organisation_id, head)
            if organisation_id is None and head is None and count == 0:
                continue  # no events without an organisation: nothing to report
            yield ChainReport(model.CHAIN_LOG, organisation_id, slug, count, last, broken)
