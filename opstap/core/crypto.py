"""Field-level encryption for identity numbers, with a keyed hash for exact lookup.

Keys come from settings (the environment in production). Encryption uses MultiFernet: the
first key encrypts, all keys decrypt, so a key is rotated by putting a new one first and
running `opstap rotatekeys`. The lookup hash is an HMAC, so the stored hashes reveal nothing
without the key, yet the same number always finds the same file.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    return _fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """The same value encrypted with the newest key."""
    if not token:
        return ""
    return _fernet().rotate(token.encode()).decode()


def lookup_hash(value: str) -> str:
    if not value:
        return ""
    key = settings.LOOKUP_HASH_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def reset_cache() -> None:
    _fernet.cache_clear()
