"""Encryption at rest for secrets (OAuth tokens, API keys, webhook secrets, partner keys).

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`, wrapped in MultiFernet so keys rotate:
settings.FIELD_ENCRYPTION_KEYS lists keys newest first; the first encrypts, all decrypt, and
`manage.py rotate_encryption_keys` re-encrypts every row with the newest key."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

PREFIX = "fernet:"


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        # Development fallback: a key derived from SECRET_KEY. Production refuses to start without keys.
        derived = base64.urlsafe_b64encode(
            hashlib.sha256(("jobcannon-fields:" + secret_key).encode()).digest()
        )
        keys = (derived.decode(),)
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def get_fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt_str(value: str) -> str:
    return PREFIX + get_fernet().encrypt(value.encode()).decode()


def decrypt_str(value: str) -> str:
    if not value.startswith(PREFIX):
        raise ValueError("value is not encrypted")
    try:
        return get_fernet().decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: no configured key matches") from exc


def rotate_str(value: str) -> str:
    return PREFIX + get_fernet().rotate(value[len(PREFIX) :].encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column stored as a Fernet token. Empty string stays empty (no secret)."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_str(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_str(str(value))


class EncryptedJSONField(models.TextField):
    """A JSON document stored encrypted (e.g. a list of webhook secrets during rotation)."""

    # django-stubs: the Python value is any JSON document, not the column's str.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None
        return json.loads(decrypt_str(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt_str(json.dumps(value))


def redact(value: str | None, keep: int = 4) -> str:
    """Show only the last characters of a secret: for admin and logs."""
    if not value:
        return ""
    return "•" * 8 + value[-keep:] if len(value) > keep * 3 else "•" * 8
