"""Structured logs: a request id that follows work across processes, and redaction.

Every log line is a stdlib `logging` record (the code base logs constant messages with data in
`extra=`, STYLE.md §4); structlog's `ProcessorFormatter` renders them as one JSON object per line
in production (`LOG_FORMAT=json`) or as readable key=value lines in development.

The request id lives in a context variable. `RequestIdMiddleware` binds it for an HTTP request,
django-q2's `pre_enqueue` signal stamps it on every task enqueued while it is bound, and the
worker binds it again before running the task (jobcannon/core/workers.py), so the intake of a
webhook, its processing task and the outbound calls that task makes share one id.

Redaction happens in a logging filter on the handlers, so it applies whatever the formatter:
values under secret-looking keys, bearer/basic credentials, secret query parameters and the
candidate keys in candidate URLs never reach the output. This module imports no Django so that
gunicorn's master can use it before Django is set up."""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote

import structlog
from gunicorn.glogging import Logger as GunicornBaseLogger

REDACTED = "[redacted]"

_context: ContextVar[Mapping[str, Any] | None] = ContextVar("jobcannon_log_context", default=None)


def _current() -> Mapping[str, Any]:
    return _context.get() or {}


_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:@-]{8,64}$")


# --- Context ------------------------------------------------------------------------------------


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(value: str | None) -> str | None:
    """An incoming X-Request-ID is kept only if it is a plain token (a load balancer's id);
    anything else (too long, spaces, markup) is replaced, so headers cannot inject log content."""
    if value and _REQUEST_ID_OK.match(value):
        return value
    return None


def current_request_id() -> str:
    return str(_current().get("request_id", ""))


def log_context() -> dict[str, Any]:
    return dict(_current())


def bind_log_context(**values: Any) -> None:
    _context.set({**_current(), **{k: v for k, v in values.items() if v not in (None, "")}})


def clear_log_context() -> None:
    _context.set({})


def set_log_context(values: Mapping[str, Any]) -> None:
    _context.set(dict(values))


@contextmanager
def request_context(request_id: str | None = None, **values: Any) -> Iterator[str]:
    """Bind a request id (a new one if none is given) and extra fields for the block."""
    rid = request_id or new_request_id()
    token = _context.set({**{k: v for k, v in values.items() if v not in (None, "")}, "request_id": rid})
    try:
        yield rid
    finally:
        _context.reset(token)


# --- Redaction ----------------------------------------------------------------------------------

# Keys whose values are never logged: credentials of every kind, and candidate answers.
_SECRET_KEY_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "api_key",
    "apikey",
    "cookie",
    "credential",
    "private_key",
    "sessionid",
    "csrf",
)
_SECRET_KEYS_EXACT = frozenset({"signature", "code_verifier", "key", "answers", "answer", "responses"})
# ...and any key ending in one of these (`<what>_answers`, `<what>_responses`): the ground names
# no app's field, each app's own prefix is covered by the rule.
_SECRET_KEY_SUFFIXES = ("_answers", "_answer", "_responses")
# Keys that contain a secret-looking word but hold none (kept readable on purpose).
_SAFE_KEYS = frozenset({"token_type", "signature_scheme", "refresh_count", "idempotency_key"})

# Path prefixes whose next segment is a bearer credential (whoever holds the link is let in):
# the ground's own, allauth's password-reset and email-confirmation keys (mounted by
# jobcannon/urls.py); each app adds its links from its AppConfig.ready (token_path_prefix_register:
# assessments the candidate and report links, workspaces the invitations, integrations the
# reconnect links), so this module names no path of theirs.
_token_path_prefixes: list[str] = ["/accounts/password/reset/key/", "/accounts/confirm-email/"]
# `\w*secret`: any parameter named like a secret (client_secret, or an app's `<what>_secret`).
_PARAMS = r"access_token|refresh_token|id_token|\w*secret|api_key|apikey|password"
_TEXT_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization header values.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), rf"\1 {REDACTED}"),
    # Query strings and form bodies (OAuth callbacks carry code/state, some APIs take keys).
    (
        re.compile(rf"(?i)([?&](?:{_PARAMS}|code|code_verifier|state|token|key|signature|sig)=)[^&\s\"'#]+"),
        rf"\1{REDACTED}",
    ),
    # key=value / "key": "value" pairs in JSON, repr()s and exception messages.
    (re.compile(rf"(?i)([\"']?\b(?:{_PARAMS})[\"']?\s*[=:]\s*[\"']?)[^\s\"'&,;}}]+"), rf"\1{REDACTED}"),
]
_PATH_PATTERNS: list[tuple[re.Pattern[str], str]] = []


def _path_patterns(prefixes: list[str]) -> list[tuple[re.Pattern[str], str]]:
    return [
        # Links whose path segment is the credential, in any case and with repeated slashes
        # (/RECONNECT//<token>/), as a client may write them.
        (
            re.compile(
                "(?i)(" + "|".join(re.escape(p).replace("/", "/+") for p in prefixes) + r")[^/\s\"'?#&]+"
            ),
            rf"\1{REDACTED}",
        ),
        # The same links percent-encoded inside a query string (?next=%2Freconnect%2F<token>%2F).
        (
            re.compile(
                "(?i)("
                + "|".join(re.escape(p).replace("/", "(?:%2F)+") for p in prefixes)
                + r")(?:(?!%2F)[^/\s\"'?#&])+"
            ),
            rf"\1{REDACTED}",
        ),
    ]


def token_path_prefix_register(prefix: str) -> None:
    """`prefix` (a link path such as "/<app link>/") is followed in a path by a bearer credential: masked in
    every log line. Twice is a no-op."""
    if prefix not in _token_path_prefixes:
        _token_path_prefixes.append(prefix)
    _PATH_PATTERNS[:] = _path_patterns(_token_path_prefixes)


def token_path_prefixes() -> tuple[str, ...]:
    return tuple(_token_path_prefixes)


_PATH_PATTERNS[:] = _path_patterns(_token_path_prefixes)
# Percent-escapes hide a link from the patterns (/%72econnect/<token>/ is still routed to the
# reconnect view; ?next=%252Freconnect%252F<token> is one decoding away from the encoded form):
# scrub_text decodes up to this many times, scrubbing each layer.
_DECODE_LAYERS = 4

# LogRecord attributes that are not user data (never redacted, never rendered as extras).
_RECORD_ATTRS = frozenset(logging.LogRecord("n", 0, "p", 0, "m", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
}


def is_secret_key(key: str) -> bool:
    k = key.lower()
    if k in _SAFE_KEYS:
        return False
    return (
        k in _SECRET_KEYS_EXACT
        or k.endswith(_SECRET_KEY_SUFFIXES)
        or any(part in k for part in _SECRET_KEY_PARTS)
    )


def _scrub_layer(text: str) -> str:
    for pattern, replacement in (*_TEXT_PATTERNS, *_PATH_PATTERNS):
        text = pattern.sub(replacement, text)
    return text


def scrub_text(text: str) -> str:
    """The text with credentials masked. Percent-escapes are decoded layer by layer (at most
    _DECODE_LAYERS), each layer scrubbed: when a decoded layer reveals a credential the text as
    written did not show, that scrubbed, decoded layer is returned; otherwise the text keeps the
    form it was written in (decoding is only to look)."""
    result = layer = _scrub_layer(text)
    for _ in range(_DECODE_LAYERS):
        if "%" not in layer:
            break
        decoded = unquote(layer)
        if decoded == layer:
            break
        layer = _scrub_layer(decoded)
        if layer != decoded:  # this layer hid a credential: what is logged is this layer, masked
            result = layer
    return result


def redact(value: Any, key: str = "", depth: int = 0) -> Any:
    """A redacted copy of a log value: secret keys masked at any depth, strings scrubbed."""
    if key and is_secret_key(key):
        return REDACTED
    if depth > 6:
        return "…"
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k), depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v, "", depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub_text(str(value))


class RequestIdFilter(logging.Filter):
    """Adds the bound context (request id, task) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _current().items():
            if not hasattr(record, key) or key == "request_id":
                setattr(record, key, value)
        if not hasattr(record, "request_id"):
            record.request_id = ""
        return True


class RedactingFilter(logging.Filter):
    """Masks secrets in the message, its arguments, the extras and the traceback of a record.
    Attached to handlers, so it applies to every logger and every formatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the line
            message = str(record.msg)
        record.msg = scrub_text(message)
        record.args = None
        for key in list(record.__dict__):
            if key in _RECORD_ATTRS:
                continue
            if key == "request":
                # Django's request loggers attach the HttpRequest: its repr holds the full path.
                record.__dict__[key] = REDACTED
                continue
            record.__dict__[key] = redact(record.__dict__[key], key)
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub_text(logging.Formatter().formatException(record.exc_info))
        return True


# --- Formatters ---------------------------------------------------------------------------------


def _tidy(logger: Any, name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    # `message`/`asctime` are left on the record by other formatters: the event already says it.
    for key in ("message", "asctime", "color_message"):
        event_dict.pop(key, None)
    if not event_dict.get("request_id"):
        event_dict.pop("request_id", None)
    return event_dict


def _redact_rendered(
    logger: Any, name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # Tracebacks are rendered by format_exc_info after the filter ran: scrub them here too.
    for key in ("exception", "stack"):
        if isinstance(event_dict.get(key), str):
            event_dict[key] = scrub_text(event_dict[key])
    return event_dict


def _pre_chain() -> list[Any]:
    return [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
        structlog.stdlib.ExtraAdder(),
        _tidy,
    ]


def json_formatter() -> logging.Formatter:
    """One JSON object per line: ts, level, logger, event, request_id, then the extras."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_pre_chain(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact_rendered,
            structlog.processors.JSONRenderer(default=str, sort_keys=False),
        ],
    )


def plain_formatter() -> logging.Formatter:
    """Readable lines for a terminal, with the same fields as the JSON."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_pre_chain(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact_rendered,
            structlog.dev.ConsoleRenderer(colors=False, timestamp_key="ts", pad_event_to=24),
        ],
    )


class GunicornLogger(GunicornBaseLogger):
    """gunicorn's logger (gunicorn.conf.py `logger_class`) with `%(h)s` in the access log format
    being the client's address as jobcannon/core/clientaddr.py resolves it (TRUSTED_PROXY_COUNT,
    TRUSTED_CLIENT_IP_HEADER), as in our `http.request` line: behind a load balancer gunicorn's
    own `%(h)s`, REMOTE_ADDR, is the balancer's address for every request."""

    def atoms(self, resp: Any, req: Any, environ: Mapping[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        try:
            # Imported here: this module imports no Django (gunicorn's master loads it first);
            # access lines are written by workers, where Django is set up.
            from jobcannon.core.clientaddr import client_address_from_meta

            atoms["h"] = client_address_from_meta(environ) or "-"
        except Exception:  # noqa: BLE001, S110 - never lose an access line; REMOTE_ADDR stays
            pass
        return atoms


def logging_config(
    *, fmt: str = "plain", level: str = "INFO", queue_level: str | None = None, access_log: bool | None = None
) -> dict[str, Any]:
    """The LOGGING dict for Django settings (and gunicorn's logconfig_dict).

    `queue_level` (default: the Q_LOG_LEVEL environment variable, else WARNING) is django-q2's
    logger level. django-q2 logs three INFO lines for every task (received, processing,
    processed); its own Q_CLUSTER log_level is applied only when the logger has no handler in
    reach, and the root handler here always is, so the level is set here.

    `access_log` (default: whether GUNICORN_ACCESS_LOG is set) sends gunicorn's access lines
    through the redacting handler; otherwise they are dropped (RequestIdMiddleware writes one
    redacted `http.request` line per request anyway)."""
    if queue_level is None:
        queue_level = os.environ.get("Q_LOG_LEVEL", "WARNING")
    # gunicorn configures logging in the master, then Django again in each worker: both read the
    # same switch, or the worker's configuration would drop the access log handler.
    if access_log is None:
        access_log = bool(os.environ.get("GUNICORN_ACCESS_LOG"))
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "jobcannon.core.logging.RequestIdFilter"},
            "redact": {"()": "jobcannon.core.logging.RedactingFilter"},
        },
        "formatters": {
            "json": {"()": "jobcannon.core.logging.json_formatter"},
            "plain": {"()": "jobcannon.core.logging.plain_formatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": fmt if fmt in {"json", "plain"} else "plain",
                "filters": ["context", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "django-q": {"level": queue_level.upper()},
            # Django's defaults give "django" an unfiltered console handler (DEBUG) and mail_admins,
            # and "django.server" (runserver's access line) its own handler: both would print
            # token-bearing paths as they are. Everything goes through the redacting handler.
            "django": {"level": level, "handlers": [], "propagate": True},
            "django.server": {
                "level": level,
                "handlers": ["console"],
                "filters": ["redact"],
                "propagate": False,
            },
            # gunicorn's own loggers propagate to the root handler (one format for everything).
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            # The access line holds the path and referrer (masked by the filter) and query strings:
            # off unless asked for (GUNICORN_ACCESS_LOG), then through the redacting handler.
            "gunicorn.access": {
                "level": level,
                "handlers": ["console"] if access_log else [],
                "filters": ["redact"],
                "propagate": False,
            },
        },
    }
