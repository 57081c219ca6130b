"""Encryption at rest for secrets (OAuth tokens, API keys, webhook secrets, partner keys).

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`, wrapped in MultiFernet so keys rotate:
settings.FIELD_ENCRYPTION_KEYS lists keys newest first; the first encrypts, all decrypt, and
`manage.py rotate_encryption_keys` re-encrypts every row with the newest key."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import connections, models, router, transaction

logger = logging.getLogger(__name__)

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


def _primary() -> Fernet:
    # MultiFernet keeps its keys in order; the first one encrypts.
    return get_fernet()._fernets[0]


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


def is_current(value: str) -> bool:
    """True when `value` is already encrypted with the newest key (nothing to rotate)."""
    if not value.startswith(PREFIX):
        return False
    try:
        _primary().decrypt(value[len(PREFIX) :].encode())
    except InvalidToken:
        return False
    return True


def rotated(value: str | None) -> str | None:
    """The value re-encrypted with the newest key, or None when it needs no change (empty or
    already current). A legacy plain-text value (no prefix) gets encrypted. Raises ValueError
    when no configured key decrypts it."""
    if not value:
        return None
    if not value.startswith(PREFIX):
        return encrypt_str(value)
    if is_current(value):
        return None
    try:
        return rotate_str(value)
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: no configured key matches") from exc


def decrypt_or_plain(value: str) -> str:
    """For stores that predate encryption (allauth's MFA secrets): prefixed values are
    decrypted, anything else is returned as it is and encrypted by the next rotation."""
    return decrypt_str(value) if value.startswith(PREFIX) else value


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


# --- Key rotation ---------------------------------------------------------------------------------
#
# Without downtime: MultiFernet decrypts with any configured key, so the application keeps
# reading every row while this runs. Rows are read and written in small batches straight on the
# column (no model save: no signals, no updated_at bump), and each write is conditional on the
# ciphertext still being the one read, so a concurrent write by the application (already with the
# newest key) always wins.


@dataclass
class ModelRotation:
    label: str  # "integrations.Integration"
    columns: tuple[str, ...]
    scanned: int = 0
    rotated: int = 0  # rows written with the newest key
    failed: int = 0  # rows no configured key decrypts (each logged with its pk)


@dataclass(frozen=True)
class EncryptedModel:
    model: type[models.Model]
    columns: tuple[str, ...]  # database column names holding ciphertext


def encrypted_models() -> list[EncryptedModel]:
    """Every model with a secret column, found from the fields (a new EncryptedTextField /
    EncryptedJSONField anywhere is picked up without touching this file)."""
    from django.apps import apps

    found: list[EncryptedModel] = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        columns = tuple(
            str(f.column)
            for f in model._meta.concrete_fields
            if isinstance(f, EncryptedTextField | EncryptedJSONField)
        )
        if columns:
            found.append(EncryptedModel(model, columns))
    return found


def _rotate_model(target: EncryptedModel, *, batch_size: int, dry_run: bool) -> ModelRotation:
    model = target.model
    outcome = ModelRotation(model._meta.label, target.columns)
    db = router.db_for_write(model)
    connection = connections[db]
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(str(model._meta.pk.column))
    cols = ", ".join(qn(c) for c in target.columns)
    last: Any = None
    while True:
        # Raw SQL: the ORM decrypts on read, and rotation needs the stored ciphertext.
        where = f"WHERE {pk} > %s " if last is not None else ""
        params: list[Any] = [last, batch_size] if last is not None else [batch_size]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {pk}, {cols} FROM {table} {where}ORDER BY {pk} LIMIT %s", params)  # noqa: S608 - quoted identifiers
            rows = cursor.fetchall()
        if not rows:
            return outcome
        last = rows[-1][0]
        outcome.scanned += len(rows)
        writes: list[tuple[str, list[Any]]] = []
        for row_pk, *values in rows:
            changed: list[tuple[str, str, str]] = []
            try:
                for column, raw in zip(target.columns, values, strict=True):
                    if (new := rotated(raw)) is not None:
                        changed.append((column, raw, new))
            except ValueError:
                outcome.failed += 1
                logger.error("crypto.rotate_failed", extra={"model": outcome.label, "pk": row_pk})
                continue
            if changed:
                sets = ", ".join(f"{qn(c)} = %s" for c, _, _ in changed)
                guards = " AND ".join(f"{qn(c)} = %s" for c, _, _ in changed)
                writes.append(
                    (
                        f"UPDATE {table} SET {sets} WHERE {pk} = %s AND {guards}",  # noqa: S608
                        [*(n for _, _, n in changed), row_pk, *(o for _, o, _ in changed)],
                    )
                )
        if dry_run:
            outcome.rotated += len(writes)
            continue
        if writes:
            # One short transaction per batch: writers wait milliseconds, never the whole run.
            # The guard on the old ciphertext lets a concurrent application write win.
            with transaction.atomic(using=db), connection.cursor() as cursor:
                for sql, args in writes:
                    cursor.execute(sql, args)
                    outcome.rotated += cursor.rowcount


def _rotate_json_secrets(data: Any, keys: tuple[str, ...]) -> dict[str, Any] | None:
    """allauth's MFA Authenticator keeps its secret inside a JSON document (`data.secret`,
    `data.seed`), encrypted by our MFA adapter. Returns the new document or None (unchanged)."""
    if not isinstance(data, dict):
        return None
    new = dict(data)
    for key in keys:
        value = new.get(key)
        if isinstance(value, str) and (changed := rotated(value)) is not None:
            new[key] = changed
    return new if new != data else None


def _rotate_mfa_authenticators(*, batch_size: int, dry_run: bool) -> ModelRotation | None:
    from django.apps import apps

    if not apps.is_installed("allauth.mfa"):
        return None
    from allauth.mfa.models import Authenticator

    outcome = ModelRotation("mfa.Authenticator", ("data",))
    last = 0
    while True:
        with transaction.atomic():
            rows = list(
                Authenticator.objects.select_for_update()
                .filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", "data")[:batch_size]
            )
            if not rows:
                return outcome
            last = rows[-1][0]
            outcome.scanned += len(rows)
            for pk, data in rows:
                try:
                    new = _rotate_json_secrets(data, ("secret", "seed"))
                except ValueError:
                    outcome.failed += 1
                    logger.error("crypto.rotate_failed", extra={"model": outcome.label, "pk": pk})
                    continue
                if new is not None:
                    outcome.rotated += 1
                    if not dry_run:
                        Authenticator.objects.filter(pk=pk).update(data=new)


def encryption_keys_rotate(
    *, batch_size: int = 200, dry_run: bool = False, only: str | None = None
) -> list[ModelRotation]:
    """Re-encrypt every encrypted column (and allauth's MFA secrets) with the newest key of
    FIELD_ENCRYPTION_KEYS.

    Idempotent and restartable: values already under the newest key are skipped, so running it
    twice (or after an interruption) writes only what is left. `only` limits it to one model
    label ("integrations.Token")."""
    report: list[ModelRotation] = []
    for target in encrypted_models():
        if only and target.model._meta.label != only:
            continue
        report.append(_rotate_model(target, batch_size=batch_size, dry_run=dry_run))
    if only in (None, "mfa.Authenticator"):
        mfa = _rotate_mfa_authenticators(batch_size=batch_size, dry_run=dry_run)
        if mfa is not None:
            report.append(mfa)
    return report
