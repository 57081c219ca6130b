"""The contract every ATS provider implements, and the HTTP client they share.

A provider is one folder under integrations/providers/<key>/ and one line in
settings.ATS_PROVIDERS. Generic code (views, services, tasks) talks to providers only through
`ATSProvider`; vendor JSON stays inside the provider's mappers."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import requests
from django.conf import settings
from django.utils import timezone

from integrations import observability
from integrations.plugins import simulator_plugin_get
from jobcannon.core.exceptions import ApplicationError
from jobcannon.core.jsondepth import json_loads_bounded

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from django.urls import URLPattern, URLResolver

    from integrations.models import Integration, WebhookEvent

logger = logging.getLogger(__name__)


# --- Errors from an ATS, by failure class -------------------------------------------------------


class ATSError(ApplicationError):
    """An outbound call failed. `retryable` errors are retried with backoff by the caller's task."""

    code = "ats_error"
    status = 502
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        vendor_code: str = "",
        request_id: str = "",
        retry_after: float | None = None,
        details: Any = None,
    ):
        super().__init__(message, details=details)
        self.status_code = status_code
        self.vendor_code = vendor_code
        self.request_id = request_id
        self.retry_after = retry_after


class ATSAuthError(ATSError):
    """401: the token expired or was revoked. One refresh, then re-authorization."""

    code = "ats_unauthorized"


class TokenRefreshRefused(ATSAuthError):
    """The token endpoint refused our refresh token (revoked, expired, or none stored): only a
    re-authorization helps, so a call that met it does not try another refresh."""


class ATSPermissionError(ATSError):
    """403: a scope or endpoint permission is missing. Re-authorization with the scope named."""

    code = "ats_forbidden"


class ATSNotFound(ATSError):
    code = "ats_not_found"


class ATSConflict(ATSError):
    code = "ats_conflict"


class ATSValidationError(ATSError):
    code = "ats_validation_failed"


class ATSRateLimited(ATSError):
    code = "ats_rate_limited"
    retryable = True


class ATSServerError(ATSError):
    code = "ats_server_error"
    retryable = True


class ATSNetworkError(ATSError):
    code = "ats_network_error"
    retryable = True


class ATSAmbiguousError(ATSNetworkError):
    """The request may have reached the ATS (read timeout after sending): the outcome is unknown."""

    code = "ats_outcome_unknown"


class LocalRateLimited(ATSRateLimited):
    """Our own shared limiter refused the call before it was sent."""

    code = "rate_limited_locally"


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds before retry number `attempt` (1-based): 5s → 15s → 60s → 5m, then the longer
    schedule of settings.OUTBOUND_BACKOFF_SECONDS (its last step repeats; callers stop at the
    OUTBOUND_RETRY_HORIZON_SECONDS horizon, 72 h). Retry-After wins when the ATS sent one.

    Jitter of ±10 % spreads the retries of many rows that failed together (an ATS outage), so
    they do not come back as one burst that trips the rate limit again."""
    import random

    if retry_after is not None and retry_after >= 0:
        return float(retry_after)
    schedule = settings.OUTBOUND_BACKOFF_SECONDS
    base = float(schedule[max(1, min(attempt, len(schedule))) - 1])
    return base * random.uniform(0.9, 1.1)


def retry_at(
    *, attempts: int, started_at: dt.datetime, retry_after: float | None, now: dt.datetime
) -> dt.datetime | None:
    """When to try again after the `attempts`-th failure of work first tried at `started_at`
    (backoff_delay, never past the OUTBOUND_RETRY_HORIZON_SECONDS horizon), or None once that
    horizon has passed: then the caller gives up."""
    deadline = started_at + dt.timedelta(seconds=settings.OUTBOUND_RETRY_HORIZON_SECONDS)
    if now >= deadline:
        return None
    return min(now + dt.timedelta(seconds=backoff_delay(attempts, retry_after)), deadline)


# The idempotency key of the write-back being delivered, for clients whose ATS honours one
# (`BaseClient.idempotency_header`). Set by the outbox around `provider.deliver()`, so provider
# code does not have to thread it through.
_idempotency_key: contextvars.ContextVar[str] = contextvars.ContextVar("ats_idempotency_key", default="")


@contextlib.contextmanager
def idempotency_key_bound(key: str) -> Iterator[None]:
    token = _idempotency_key.set(key)
    try:
        yield
    finally:
        _idempotency_key.reset(token)


def current_idempotency_key() -> str:
    return _idempotency_key.get()


# --- Value types ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RateLimit:
    per_second: float
    burst: int
    # Requests in flight at once per vendor account (0 = no limit); held across processes by
    # integrations/services/concurrency.py. ATSProvider.concurrency_limits() may add per-call limits.
    concurrent: int = 0


@dataclasses.dataclass(frozen=True)
class OAuth2Config:
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    scope_separator: str = " "
    use_pkce: bool = True
    extra_authorize_params: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # How the client authenticates at the token endpoint: "body" (client_id/secret in the form) or "basic".
    client_auth: str = "body"
    access_token_lifetime_default: int = 3600
    refresh_token_lifetime_days: int | None = None


@dataclasses.dataclass(frozen=True)
class InboundRequest:
    """A webhook delivery as the verifier sees it: raw bytes and lower-cased header names."""

    body: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str]
    # What a verifier derives from the body alone (a parse, a canonical form), computed once per
    # request however many integrations' secrets are tried on it (the seeds' hint-less route).
    derived: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def derive(self, name: str, make: Callable[[bytes], Any]) -> Any:
        """`make(body)`, computed on first use and kept for this request."""
        if name not in self.derived:
            self.derived[name] = make(self.body)
        return self.derived[name]

    def json_object(self) -> dict[str, Any] | None:
        """The body parsed as one JSON object, None when it is not one (not JSON, or JSON of
        another kind). Read before verification, so bounded (jobcannon/core/jsondepth.py: a deep
        body is None, not a RecursionError), and parsed once per request however many readers
        ask: the hint-less route's pre-check, Knit's re-serialised form, Lever's in-body token."""
        return self.derive("json_object", _json_object)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        parsed = json_loads_bounded(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return parsed if isinstance(parsed, dict) else None


@dataclasses.dataclass(frozen=True)
class Verification:
    ok: bool
    scheme: str = ""
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class ParsedWebhook:
    event_type: str
    external_id: str


@dataclasses.dataclass(frozen=True)
class CredentialCheck:
    ok: bool
    message: str
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class WebhookContext:
    """What an event handler receives: the stored event, its integration, the parsed JSON and
    the provider whose handler runs (the registry's object: a handler that needs its client asks
    `ctx.provider.client(ctx.integration)`, it never looks the provider up again).
    Every string of `payload` is storable as is: NUL and lone surrogates, which no database text
    column takes, arrive as U+FFFD (services/webhooks.py `_payload`); `event.body` keeps the
    bytes the vendor signed."""

    event: WebhookEvent
    integration: Integration
    payload: Mapping[str, Any]
    provider: ATSProvider


@dataclasses.dataclass(frozen=True)
class SetupStep:
    """One step of the connect wizard, mirroring the provider's setup guide (seed).

    `phase`: "before" = what the admin does in the ATS before entering credentials; "after" =
    what to do next once connected. `show` names values the wizard renders with a copy button
    next to the step: "redirect_uri", "webhook_url", "webhook_secret" (the secret only on the
    one page view after it was created)."""

    title: str
    body: str = ""
    items: tuple[str, ...] = ()
    show: tuple[str, ...] = ()
    phase: str = "before"


@dataclasses.dataclass(frozen=True)
class CommonError:
    """A "Common Errors" entry of the setup guide, shown as a guided fix wherever a failure's
    reason matches: `match` holds lower-case fragments looked for in the reason/error text;
    `checks` names the checklist items it belongs to ("credentials", "scopes", "webhooks",
    "webhook_received", "test_assessment", "writeback")."""

    title: str
    cause: str
    fix: tuple[str, ...]
    match: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class CredentialField:
    """A credential the admin pastes in the wizard when connecting with an API key. `name` is the
    key in Integration.credentials ("api_key" is the one integration_connect_api_key checks)."""

    name: str
    label: str
    help: str = ""
    secret: bool = True
    required: bool = True


@dataclasses.dataclass(frozen=True)
class RegisteredWebhook:
    event: str
    url: str = ""
    id: str = ""
    active: bool = True


@dataclasses.dataclass(frozen=True)
class ChecklistCheck:
    """A provider-specific verification checklist item (computed from real state, never ticked).
    ok: True = green, False = failing (with `detail` as the reason and `fix` steps), None = not
    yet (waiting on an earlier step)."""

    key: str
    title: str
    ok: bool | None
    detail: str = ""
    fix: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class HealthWarning:
    """Predictive credential health: something that will break, said before it does."""

    key: str
    message: str
    due_at: Any = None  # datetime when it breaks, if known
    level: str = "warning"


# --- ATS data sync (integrations/sync): what a provider's sync_page() returns ----------------
# Typed records, so vendor JSON never leaves the provider's mappers. The sync service upserts
# them by (integration, external_id), never by position in a page.


@dataclasses.dataclass(frozen=True)
class SyncedJob:
    external_id: str
    title: str
    status: str = ""  # the ATS's wording: Open/Closed/Archived, published/closed, SOURCING...
    department: str = ""
    location: str = ""
    requisition_id: str = ""
    # The interview plan / hiring process its stages belong to ("" = the account-wide stages).
    plan_external_id: str = ""
    url: str = ""
    updated_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class SyncedStage:
    external_id: str
    title: str
    plan_external_id: str = ""
    order: int = 0
    kind: str = ""  # the ATS's stage type (Ashby: PreInterviewScreen, Active, Offer, Hired...)
    updated_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class SyncedCandidate:
    external_id: str
    name: str = ""
    email: str = ""
    phone: str = ""
    profile_url: str = ""
    updated_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class SyncedApplication:
    external_id: str
    candidate_external_id: str = ""
    job_external_id: str = ""
    stage_external_id: str = ""
    stage_title: str = ""
    status: str = ""
    applied_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class SyncedDeletion:
    """The ATS says a record is gone: `model` is "job", "stage", "candidate" or "application";
    `merged_into` names the surviving record when two were merged."""

    model: str
    external_id: str
    merged_into: str = ""


SyncRecord = SyncedJob | SyncedStage | SyncedCandidate | SyncedApplication | SyncedDeletion


@dataclasses.dataclass(frozen=True)
class SyncPage:
    """One page of a resource. `more` with `next_cursor` asks for the next page; the last page
    (more=False) carries the new `sync_token` when the ATS supports incremental sync ("" = the
    next run is a full sync again). `warnings` are the ATS's partial-success notes."""

    records: tuple[SyncRecord, ...] = ()
    next_cursor: str = ""
    more: bool = False
    sync_token: str = ""
    warnings: tuple[str, ...] = ()
    request_id: str = ""


def sync_page_size(integration: Integration, limit: int) -> int:
    """Page size for list calls: provider_settings["sync_page_size"], clamped to 1..limit (the
    ATS's maximum, also the default)."""
    try:
        size = int((integration.provider_settings or {}).get("sync_page_size", limit))
    except (TypeError, ValueError):
        size = limit
    return max(1, min(limit, size))


def response_json_or_none(response: requests.Response) -> Any:
    """The answer's JSON body, or None when it has none (empty, HTML, cut off): the caller judges
    what it got and says what it expected."""
    try:
        return response.json()
    except ValueError:
        return None


def sync_cursor_load(value: str) -> dict[str, Any]:
    """A provider's own paging position, stored as a JSON object in SyncPage.next_cursor; anything
    else (empty, corrupted) is the first page."""
    try:
        data = json.loads(value) if value else {}
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def sync_iso_datetime(value: Any) -> dt.datetime | None:
    """An ATS's ISO 8601 timestamp ("Z" accepted; no offset means UTC) as an aware datetime; None
    for anything else (missing, empty, not a string, not a date)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class SyncTokenExpired(ATSValidationError):
    """The ATS refused the stored sync token: the sync service restarts the run as a full sync."""

    code = "ats_sync_token_expired"


class DeliveryResult:
    """What a provider's write-back delivery returns on success."""

    def __init__(self, *, external_ref: str = "", confirmed: bool = False, note: str = ""):
        self.external_ref = external_ref
        self.confirmed = confirmed
        self.note = note


def hmac_sha256_hex(secret: str | bytes, message: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def verify_hmac_hex(*, body: bytes, signature: str, secrets: Iterable[str], prefix: str = "") -> bool:
    """Constant-time check of `<prefix><hex HMAC-SHA256(secret, body)>` against every secret."""
    signature = signature.strip()
    matched = False
    for secret in secrets:
        # No early return: every secret is tried so timing does not reveal which one matched.
        matched |= constant_time_equals(prefix + hmac_sha256_hex(secret, body), signature)
    return matched


# --- The HTTP client ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ClientServices:
    """The services every BaseClient call uses: the shared rate limiter, the cross-process
    concurrency slots and the single-flight OAuth token refresh. They live in
    integrations.services, which imports this module, so the client does not import them back:
    integrations.subscriptions installs them at start-up."""

    rate_limit_acquire: Callable[..., None]
    token_refresh: Callable[..., Any]
    concurrency_limits_for: Callable[..., Any]
    concurrency_slots: Callable[..., AbstractContextManager[Any]]


_client_services: ClientServices | None = None


def client_services_install(services: ClientServices) -> None:
    global _client_services
    _client_services = services


def client_services() -> ClientServices:
    if _client_services is None:
        raise RuntimeError("BaseClient services are not installed: IntegrationsConfig.ready has not run.")
    return _client_services


class BaseClient:
    """requests.Session + timeouts + the shared per-integration rate limiter + error mapping +
    an OutboundCall row per call. Never sleeps: a refused or failed call raises, and the task
    that made it reschedules itself with `backoff_delay`."""

    user_agent = "JobCannon-Integrations/1.0 (+https://jobcannon.example.com)"
    request_id_header = ""
    # The vendor account whose limits this client's calls spend, when it is not the integration's
    # (ATSProvider.rate_limit_key): e.g. a partner credential JobCannon uses for every customer,
    # whose rate and concurrency limits all integrations share. None: the provider's key.
    rate_limit_account: str | None = None

    def __init__(
        self, integration: Integration, provider: ATSProvider, *, session: requests.Session | None = None
    ):
        self.integration = integration
        self.provider = provider
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = self.user_agent
        self.base_url = provider.api_base_url(integration).rstrip("/")

    # Subclasses: authentication headers (Bearer, Basic...) for one request.
    def auth(self) -> requests.auth.AuthBase | None:
        return None

    def classify(self, response: requests.Response) -> ATSError | None:
        """Map a response to an error (None = success). Providers override to read vendor bodies
        (e.g. Ashby's HTTP 200 with success:false) and call super() for the status codes."""
        status = response.status_code
        if status < 400:
            return None
        message, vendor_code = self.error_message(response)
        retry_after = _parse_retry_after(response.headers.get("Retry-After"))
        kw: dict[str, Any] = {
            "status_code": status,
            "vendor_code": vendor_code,
            "request_id": self.vendor_request_id(response),
        }
        if status == 401:
            return ATSAuthError(message or "The ATS rejected our credentials (401).", **kw)
        if status == 403:
            return ATSPermissionError(
                message or "The ATS refused this call (403): a permission or scope is missing.", **kw
            )
        if status == 404:
            return ATSNotFound(message or "The ATS says the record does not exist (404).", **kw)
        if status == 409:
            return ATSConflict(message or "The ATS reported a conflict (409).", **kw)
        if status == 429:
            return ATSRateLimited(
                message or "The ATS is rate limiting us (429).", retry_after=retry_after, **kw
            )
        if status >= 500:
            return ATSServerError(message or f"The ATS failed ({status}).", retry_after=retry_after, **kw)
        return ATSValidationError(message or f"The ATS rejected the request ({status}).", **kw)

    def error_message(self, response: requests.Response) -> tuple[str, str]:
        try:
            body = response.json()
        except ValueError:
            return "", ""
        if isinstance(body, dict):
            msg = body.get("message") or body.get("error_description") or body.get("error") or ""
            return (str(msg) if not isinstance(msg, dict) else str(msg.get("message", ""))), str(
                body.get("code", "")
            )
        return "", ""

    def vendor_request_id(self, response: requests.Response) -> str:
        return response.headers.get(self.request_id_header, "") if self.request_id_header else ""

    def request(
        self,
        method: str,
        path: str,
        *,
        operation: str = "",
        attempt: int = 1,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One call to the ATS through the shared rate limiter. On an OAuth integration an
        ATSAuthError (401, or a vendor body saying the token is bad) gets exactly one token
        refresh — single-flight across processes, see `token_refresh` — and one retry; a second
        refusal propagates, and the caller moves the integration to needs_reauth."""
        kwargs: dict[str, Any] = {"json": json, "params": params, "data": data, "headers": headers}
        seen = self._current_access_token()
        try:
            return self._send(method, path, operation=operation, attempt=attempt, **kwargs)
        except TokenRefreshRefused:
            raise  # the refresh ahead of this call was refused: a second would be refused too
        except ATSAuthError:
            if not self.refresh_on_auth_error or seen is None:
                raise
        # `seen` is the token this call used: if another worker already replaced it, its new
        # token is used without a second call to the token endpoint.
        client_services().token_refresh(integration_id=self.integration.pk, seen_access_token=seen)
        return self._send(method, path, operation=operation, attempt=attempt + 1, **kwargs)

    # Retry once after a token refresh when the ATS refuses an OAuth token (see request()).
    refresh_on_auth_error = True
    # Header an ATS reads an idempotency key from (e.g. "Idempotency-Key"); empty when the vendor
    # has none. When set, a write-back's outbox key is sent with every non-GET call made while
    # delivering it, and the reconciler may safely resend a write whose outcome is unknown.
    idempotency_header = ""

    def _current_access_token(self) -> str | None:
        from integrations.models import AuthKind, Token

        if self.integration.auth_kind != AuthKind.OAUTH2:
            return None
        return (
            Token.objects.filter(integration_id=self.integration.pk)
            .values_list("access_token", flat=True)
            .first()
        )

    def _send(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        attempt: int,
        json: Any,
        params: Mapping[str, Any] | None,
        data: Any,
        headers: Mapping[str, str] | None,
    ) -> requests.Response:
        from integrations.models import OutboundCall

        client_services().rate_limit_acquire(
            integration=self.integration, provider=self.provider, account=self.rate_limit_account
        )
        url = path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"
        send_headers = dict(headers or {})
        key = current_idempotency_key()
        if self.idempotency_header and key and method.upper() != "GET":
            send_headers.setdefault(self.idempotency_header, key)
        started = time.monotonic()
        call = OutboundCall(
            integration=self.integration,
            provider=self.provider.key,
            method=method.upper(),
            path=_path_only(url),
            operation=operation or path,
            attempt=attempt,
        )
        try:
            auth = self.auth()  # before taking a slot: getting a token may itself call the ATS
            services = client_services()
            limits = services.concurrency_limits_for(
                provider=self.provider, integration=self.integration, method=method.upper(), path=call.path
            )
            with services.concurrency_slots(
                provider=self.provider,
                integration=self.integration,
                limits=limits,
                account=self.rate_limit_account,
            ):
                response = self.session.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    data=data,
                    headers=send_headers,
                    auth=auth,
                    timeout=settings.OUTBOUND_TIMEOUT_SECONDS,
                )
        except requests.ConnectTimeout as exc:
            # Nothing was sent: safe to retry.
            error: ATSError = ATSNetworkError(f"Could not connect to the ATS: {exc.__class__.__name__}")
            self._log(call, started, None, error)
            raise error from exc
        except requests.Timeout as exc:
            # The request went out and no answer came back: the ATS may have applied it.
            error = ATSAmbiguousError(
                "The ATS did not answer in time; the call may or may not have been applied."
            )
            self._log(call, started, None, error)
            raise error from exc
        except requests.RequestException as exc:
            # Refused, reset (e.g. a pooled keep-alive connection the ATS had closed): retried
            # with backoff. Only a timeout after sending is treated as "may have been applied".
            error = ATSNetworkError(f"Network error talking to the ATS: {exc.__class__.__name__}")
            self._log(call, started, None, error)
            raise error from exc
        error_or_none = self.classify(response)
        self._log(call, started, response, error_or_none)
        if error_or_none is not None:
            raise error_or_none
        return response

    def _log(self, call, started: float, response: requests.Response | None, error: ATSError | None) -> None:
        call.duration_ms = int((time.monotonic() - started) * 1000)
        if response is not None:
            call.status_code = response.status_code
            call.vendor_request_id = self.vendor_request_id(response)[:120]
        if error is not None:
            call.error_class = type(error).__name__
            call.error_message = error.message[:2000]
            if error.request_id and not call.vendor_request_id:
                call.vendor_request_id = error.request_id[:120]
        call.save()
        observability.outbound_call(call)
        logger.info(
            "ats.call",
            extra={
                "provider": call.provider,
                "integration": call.integration_id,
                "path": call.path,
                "status": call.status_code,
                "ms": call.duration_ms,
                "error_class": call.error_class,
            },
        )


def _path_only(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path[:500]


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
        except (TypeError, ValueError):
            return None


# --- The provider contract ------------------------------------------------------------------


Handler = Callable[[WebhookContext], Any]


# The usual way back for a disconnected integration: JobCannon's own Reconnect.
RECONNECT_HERE: tuple[str, ...] = ("Reconnect to resume.",)


class ATSProvider:
    """One ATS. Subclasses set the class attributes and override the hooks they need.

    Required: key, name, auth_kinds, rate_limit, client_class, api_base_url(), verify_webhook(),
    parse_webhook(), event_handlers. Everything else has a sensible default."""

    key: ClassVar[str]
    name: ClassVar[str]
    # The company whose API we call, when it differs from `name` (e.g. Knit for "Ashby via
    # Knit"): the one a sentence about an outage or a rate limit names. Empty means `name`.
    api_vendor_name: ClassVar[str] = ""
    hidden: ClassVar[bool] = False  # the fake provider: not offered in the connect UI
    auth_kinds: ClassVar[tuple[str, ...]] = ("api_key",)
    rate_limit: ClassVar[RateLimit] = RateLimit(per_second=10, burst=10)
    regions: ClassVar[tuple[str, ...]] = ()  # e.g. ("us", "eu") where the ATS has data regions
    client_class: ClassVar[type[BaseClient]] = BaseClient
    # Webhooks: {wire event name: handler}; events we knowingly ignore (answered 200, status ignored).
    event_handlers: ClassVar[Mapping[str, Handler]] = {}
    ignored_events: ClassVar[frozenset[str]] = frozenset()
    # Header that, on the seed path /<provider>/webhooks, may carry the integration's public id.
    integration_header: ClassVar[str] = "X-JobCannon-Integration"
    # Setup guide (seed) and docs links, for the connect wizard and error pages.
    docs_url: ClassVar[str] = ""
    # Shown on the connect page and the wizard's sign-in step: which sign-in the vendor documents
    # publicly, when a provider offers more than one (empty: nothing to say).
    connect_note: ClassVar[str] = ""
    # The status code the ATS expects as acknowledgement (SmartRecruiters wants 202).
    webhook_ack_status: ClassVar[int] = 200
    # Whether the ATS is given our per-integration signing secret (the whsec_… value of
    # Integration.webhook_secrets) to sign its webhooks with. False where the ATS signs with a key
    # of its own (Lever's signature tokens, SmartRecruiters' generated secret key, the Knit API
    # key): the console then neither shows that secret nor offers to rotate it, and says instead
    # how the ATS signs: `webhook_signing_note` (one sentence), else a generic one.
    takes_our_webhook_secret: ClassVar[bool] = True
    webhook_signing_note: ClassVar[str] = ""

    def signs_with_our_secret(self, integration: Integration) -> bool:
        """Whether this integration's ATS signs with our secret: takes_our_webhook_secret, unless
        the integration follows a setup in which it does (SmartRecruiters' seed webhooks)."""
        return self.takes_our_webhook_secret

    # -- queued retries of the provider's own steps (services.queue.provider_step_schedule_retry) --
    def retry_step(self, step: str, integration: Integration) -> None:
        """Run a step a temporary failure scheduled again. Providers that schedule one override
        this; a step they do not know is a programming error, not a silent no-op."""
        raise ValueError(f"{self.key} has no retry step {step!r}")

    # -- configuration --
    def api_base_url(self, integration: Integration) -> str:
        raise NotImplementedError

    def oauth_config(self, integration: Integration) -> OAuth2Config | None:
        return None

    def client(self, integration: Integration) -> BaseClient:
        return self.client_class(integration, self)

    # -- connect --
    def validate_credentials(self, integration: Integration) -> CredentialCheck:
        """A cheap live call proving the credentials work (e.g. Ashby apiKey.info)."""
        raise NotImplementedError

    def on_connected(self, integration: Integration) -> None:
        """After credentials are valid: register webhooks etc. Raise ATSError on failure."""

    def connected_reason(self, integration: Integration) -> str:
        """status_reason kept when a credentials check ends connected: one line naming what the
        customer must still fix (e.g. a vendor permission the key lacks); "" when nothing."""
        return ""

    def on_disconnect(self, integration: Integration) -> None:
        """Before a disconnect takes effect, while the credentials still work: remove what
        on_connected registered at the vendor (e.g. SmartRecruiters' webhook subscriptions).
        Best effort: never raise, explain a failure in the activity log; the disconnect goes on."""

    def oauth_refresh_refused(self, integration: Integration, error: ATSAuthError) -> bool:
        """The token endpoint refused this integration's refresh token (revoked, expired). False
        (the default): only a re-authorization helps, and the integration is marked for one.
        True: the provider dealt with it because the OAuth sign-in is not what its traffic rests
        on (SmartRecruiters once it holds the company credentials SR issued at consent)."""
        return False

    def disconnected_fix_steps(self, integration: Integration) -> tuple[str, ...]:
        """The checklist's steps to resume a disconnected integration (its cause, who disconnected
        it, is the recorded status_reason). Providers where the ATS can remove us override this
        with what to do there first; the disconnected banner then shows those steps instead of
        its Reconnect button."""
        return RECONNECT_HERE

    def explain_oauth_error(self, error: str, description: str, integration: Integration) -> str:
        """Turn an OAuth error on the callback into a sentence naming the fix."""
        return description or error

    # -- webhooks in --
    def verify_webhook(
        self, integration: Integration, request: InboundRequest, secrets: list[str]
    ) -> Verification:
        raise NotImplementedError

    def parse_webhook(self, request: InboundRequest) -> ParsedWebhook:
        """event type and the vendor's event id (dedupe key). Raise ValueError on a malformed body."""
        raise NotImplementedError

    def webhook_response(
        self, request: InboundRequest, parsed: ParsedWebhook | None
    ) -> tuple[int, dict[str, Any]] | tuple[int, dict[str, Any], dict[str, str]] | None:
        """Override to answer a handshake or ping synchronously: (status, JSON body) or
        (status, JSON body, response headers), e.g. SmartRecruiters' X-Hook-Secret echo."""
        return None

    def webhook_duplicate_response(
        self, original: WebhookEvent | None
    ) -> tuple[int, dict[str, Any]] | Literal["reopen"] | None:
        """Override to answer a delivery whose dedupe key is already stored (`original`, the first
        delivery, or None when it was purged) other than as an accepted duplicate:
        - (status, JSON body): refuse it. Lever refuses a replay of a token it already processed
          (its docs: "not honor any subsequent request with the same token").
        - "reopen": the vendor is retrying an event we gave up processing (`original` is dead):
          `services.webhooks.webhook_event_reopen` queues the original again with a fresh budget
          of attempts and the delivery is acknowledged with the ack status and
          {"status": "accepted", "id": <original>, "reopened": true}. If there is nothing to reopen
          (already reopened, body purged) it is answered as a duplicate. Lever does this for a
          retry of a token that ended dead.
        - None (default): the ack status with {"status": "duplicate"}.
        The delivery itself is always recorded as a duplicate of `original` and never processed."""
        return None

    # -- write-back --
    def deliver(self, integration: Integration, message: Any) -> DeliveryResult:
        """Deliver one outbox message (a run status or result) to the ATS. Raise ATSError."""
        raise NotImplementedError

    def on_run_event(self, integration: Integration, run: Any, event: str) -> list[str]:
        """Which outbox message kinds a run event produces for this ATS (e.g. ['assessment.update'])."""
        return []

    def confirm(self, integration: Integration, message: Any) -> bool | None:
        """Read-after-write: does the ATS show this outbox message's write? True: yes (the row is
        confirmed, never sent again); False: definitely not (safe to send again); None: this ATS
        cannot be read back. Raise ATSError when the read itself fails (tried again later).

        Called right after a delivery that did not confirm itself, and by the reconciler for
        writes whose outcome is unknown (timeout after sending, worker killed mid-call) and for
        delivered-but-unconfirmed ones. Match on what the write left behind (the
        message.idempotency_key if the ATS stores it, or message.external_ref)."""
        return None

    def concurrency_limits(self, integration: Integration, method: str, path: str) -> list[tuple[str, int]]:
        """(name, limit) pairs of concurrent-request limits this call counts against, across
        processes (integrations/services/concurrency.py). Default: the account-wide
        `rate_limit.concurrent` as "all". A vendor with a tighter limit on one endpoint adds a
        pair for it (SmartRecruiters: 1 concurrent GET /candidates)."""
        return [("all", self.rate_limit.concurrent)] if self.rate_limit.concurrent else []

    def rate_limit_key(self, integration: Integration) -> str:
        """The vendor account whose rate limit a call to this integration spends. The default
        is one bucket per integration (sandbox and production are separate accounts). Override
        when several integrations share one vendor limit (a partner key used for every customer,
        or a per-company limit) so they share one bucket."""
        return f"integration:{integration.pk}"

    # -- extra URLs: partner APIs the ATS calls, and the built-in simulator --
    def urls(self) -> list[URLPattern | URLResolver]:
        return []

    def partner_refusal(
        self,
        request: HttpRequest,
        *,
        status: int,
        code: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse | None:
        """How this ATS's partner API (`urls()`) answers a call that the shared inbound guard
        (integrations/middleware.py) refuses outside any view: a bad Content-Length, a body
        over WEBHOOK_MAX_BODY_BYTES, a multipart body, JSON nested too deep, or a caller whose
        failed-authentication budget is spent. The arguments are the generic answer (`status`,
        e.g. 413 or 429; `code`, e.g. "payload_too_large"; `headers`, e.g. Retry-After). None,
        the default, sends that generic answer, `{"error": {code, message, details}}`. Override
        when the vendor publishes the partner API's statuses and error body (Ashby's partner
        OpenAPI lists 200/409/422 only, with its own envelope)."""
        return None

    def simulator_urls(self) -> list[URLPattern | URLResolver]:
        """The built-in simulator's pages and APIs (/sim/<key>/): its plug-in's, where simulators
        are enabled and the provider has one (integrations/plugins.py); else none."""
        plugin = simulator_plugin_get(self.key)
        return plugin.urlpatterns() if plugin else []

    def integration_urls(self) -> list[URLPattern | URLResolver]:
        """Customer pages specific to this provider (stage rules, secrets setup...), mounted at
        /integrations/<int:integration_pk>/<key>/. Views must scope to the user's workspace."""
        return []

    # Template included on the integration detail page (context: integration, provider, request).
    detail_template: ClassVar[str] = ""

    def detail_context(self, integration: Integration) -> dict[str, Any]:
        """Extra context for `detail_template` (registered webhooks, partner base URL...)."""
        return {}

    # -- simulator wiring: what only the simulator can do goes through its plug-in --
    # (integrations/plugins.py: `plugin_for(self.key)` in the provider's overrides of
    # send_test_webhook, send_test_assessment and demo_setup). This module names no simulator.
    def uses_simulator(self, integration: Integration) -> bool:
        """A sandbox integration may point at the built-in simulator (provider_settings["use_simulator"])."""
        from django.conf import settings

        return bool(
            settings.ATS_SIMULATORS_ENABLED and (integration.provider_settings or {}).get("use_simulator")
        )

    def simulator_base_url(self) -> str:
        from django.conf import settings

        return f"{settings.JOBCANNON_BASE_URL}/sim/{self.key}"

    # -- the customer console (connect wizard, checklist, health); every hook has a default --
    # The guide's "Common Errors", shown as guided fixes next to matching failures.
    common_errors: ClassVar[tuple[CommonError, ...]] = ()
    # Predictive health: warn when the current refresh token is older than this (seeds: "refresh
    # if >1.5 years old"), and when an API key is this close to its lifetime (Lever: 1 year).
    refresh_token_warn_after_days: ClassVar[int | None] = 548
    api_key_lifetime_days: ClassVar[int | None] = None
    credential_warn_before_days: ClassVar[int] = 30
    # "api": on_connected registers webhooks through the ATS API; "manual": the admin pastes the
    # webhook URL (and secret) into the ATS, and the wizard shows them.
    webhook_registration: ClassVar[str] = "manual"

    def setup_steps(self, integration: Integration) -> list[SetupStep]:
        """The setup guide as wizard steps. The default is generic; providers mirror their seed."""
        steps: list[SetupStep] = []
        scopes = self.required_scopes(integration)
        if integration.auth_kind == "oauth2":
            steps.append(
                SetupStep(
                    title=f"Create an integration in {self.name}",
                    body=f"Sign in to {self.name} as an administrator and create an app for JobCannon.",
                    items=(
                        "Name: JobCannon Assessments",
                        "Redirect URI: exactly the value below (no trailing slash)",
                        *(["Scopes: " + ", ".join(scopes)] if scopes else []),
                        f"Copy the Client ID and Client Secret {self.name} generates.",
                    ),
                    show=("redirect_uri",),
                )
            )
        else:
            steps.append(
                SetupStep(
                    title=f"Generate an API key in {self.name}",
                    body=f"Sign in to {self.name} as an administrator and create an API credential named "
                    "“JobCannon Assessments”. It is shown only once: paste it in the next step.",
                    items=tuple(["Permissions: " + ", ".join(scopes)] if scopes else []),
                )
            )
        if self.webhook_registration == "manual":
            steps.append(
                SetupStep(
                    title=f"Point {self.name} webhooks at JobCannon",
                    body="Paste this URL as the webhook endpoint and this secret as the signing secret.",
                    show=("webhook_url", "webhook_secret"),
                )
            )
        steps.append(
            SetupStep(
                title="Test in the sandbox",
                body=f"Create a test candidate in {self.name}, trigger a JobCannon assessment, complete it, "
                "and watch the verification checklist turn green.",
                phase="after",
            )
        )
        return steps

    def credential_fields(self, integration: Integration) -> tuple[CredentialField, ...]:
        """What the admin pastes when connecting with an API key (validated live on submit)."""
        return (CredentialField(name="api_key", label=f"{self.name} API key"),)

    def required_scopes(self, integration: Integration) -> tuple[str, ...]:
        """Scopes / permissions JobCannon needs; compared with the granted ones on the checklist."""
        config = self.oauth_config(integration) if integration.auth_kind == "oauth2" else None
        return tuple(config.scopes) if config else ()

    def registered_webhooks(self, integration: Integration) -> list[RegisteredWebhook] | None:
        """Webhooks registered in the ATS for this integration. None = unknown / the admin
        registers them by hand (the wizard shows the URL to paste). The default reads
        provider_settings["webhooks"] (a list of {"id", "url", "event" or "events"}) when a
        provider stores it there."""
        stored = (integration.provider_settings or {}).get("webhooks")
        if not isinstance(stored, list):
            return [] if self.webhook_registration == "api" else None
        hooks: list[RegisteredWebhook] = []
        for item in stored:
            if not isinstance(item, Mapping):
                continue
            events = item.get("events") or [item.get("event", "")]
            for event in events if isinstance(events, list | tuple) else [events]:
                hooks.append(
                    RegisteredWebhook(
                        event=str(event or ""),
                        url=str(item.get("url", "")),
                        id=str(item.get("id", "")),
                        active=bool(item.get("active", True)),
                    )
                )
        return hooks

    def checklist_checks(self, integration: Integration) -> list[ChecklistCheck]:
        """Extra provider-specific verification checklist items (e.g. a partner key pasted)."""
        return []

    def explained_refusals(self, integration: Integration) -> Mapping[str, str]:
        """{operation: why} for calls whose 403 or 404 this integration expects and explains
        elsewhere (a plan limit with a fallback, not a missing permission; a call the vendor does
        not have): the checklist's "Required scopes granted" names their 403s instead of failing
        on them (Lever's POST /webhooks on a plan without the Webhooks Subscription API), and the
        health numbers do not count either as a failed call (Knit's secrets revoke, a 404)."""
        return {}

    def optional_checklist_items(self, integration: Integration) -> frozenset[str]:
        """Keys of checklist items (built-in or checklist_checks') this integration works without,
        e.g. webhooks where the ATS offers them only on a sign-in the customer may skip. They are
        shown as optional and do not hold back "All checks passed" unless they fail."""
        return frozenset()

    def api_key_created_at(self, integration: Integration) -> Any:
        """When the current API key was created (datetime) or None; the default reads
        provider_settings["api_key_created_at"] (ISO 8601)."""
        value = (integration.provider_settings or {}).get("api_key_created_at")
        try:
            return dt.datetime.fromisoformat(value) if value else None
        except (TypeError, ValueError):
            return None

    def health_warnings(self, integration: Integration) -> list[HealthWarning]:
        """Provider-specific warnings ahead of breakage (generic token/key age checks are added
        by the health service)."""
        return []

    def settings_problems(self, provider_settings: Any) -> list[str]:
        """Why a provider_settings value cannot be used, one sentence each ([] when it can): the
        check a provider's own settings form makes, also run where staff edit the raw JSON (the
        Django admin's Integration form), so nothing reaches the ATS that the customer could not save."""
        return []

    def send_test_webhook(self, integration: Integration) -> str:
        """Have the ATS send this integration a signed test webhook (only a built-in simulator
        can do this on demand). Returns a sentence for the admin. Providers that can, override."""
        raise NotImplementedError

    def send_test_assessment(self, integration: Integration) -> str:
        """Have the sandbox ATS order a test assessment the way the real one would (e.g. the
        simulator calls assessment.start or sends the signed event). Returns a sentence."""
        raise NotImplementedError

    def simulator_credentials(self, integration: Integration) -> dict[str, str]:
        """For a sandbox integration on the built-in simulator: register credentials with the
        simulator (no HTTP) and return what an admin would copy out of the ATS (api_key and/or
        client_id / client_secret, plus any credential_fields), for the wizard to prefill. The
        default reuses demo_setup() and returns the credentials it stored."""
        self.demo_setup(integration)
        integration.refresh_from_db()
        names = {"api_key", "client_id", "client_secret"} | {
            f.name for f in self.credential_fields(integration)
        }
        return {k: str(v) for k, v in (integration.credentials or {}).items() if k in names and v}

    # -- demo --
    def demo_setup(self, integration: Integration) -> dict[str, Any]:
        """Wire a sandbox integration to the built-in simulator and connect it; return extra keys
        for `demo_seed --json` (e.g. partner_base_url). Return "webhook_secret" to override the
        default (the integration's newest webhook secret) when the vendor signs with another
        secret (Knit signs with the Knit API key)."""
        return {}

    # -- ATS data sync (integrations/sync); every hook has a default --
    # Resource streams this ATS syncs, in the order they run: "jobs", "stages", "candidates",
    # "applications" (a stream may yield several record types, e.g. Lever opportunities give
    # candidates and applications). Empty: no data sync for this ATS.
    sync_resources: ClassVar[tuple[str, ...]] = ()
    # What the Data sync page promises (templates/sync/runs.html, integrations/sync/forms.py).
    # sync_incremental: after a successful run, at least one resource asks the ATS only for what
    # changed since the stored checkpoint (sync_page's sync_token); False: every run reads
    # everything, and sync_full_read_reason says why in a customer's words.
    # sync_refreshed_by_webhooks: webhook handlers refresh single synced records between runs
    # (integrations.sync.refresh, through sync_fetch).
    # Both hold for Ashby (syncToken on job/candidate/application.list, ashby/sync.py), Lever
    # (updated_at_start on /opportunities, lever/sync.py) and SmartRecruiters (updatedAfter on
    # /candidates, smartrecruiters/sync.py), whose webhook handlers call sync_record_refresh_enqueue.
    sync_incremental: ClassVar[bool] = True
    sync_full_read_reason: ClassVar[str] = ""
    sync_refreshed_by_webhooks: ClassVar[bool] = True

    def sync_page(self, integration: Integration, resource: str, cursor: str, sync_token: str) -> SyncPage:
        """One page of `resource`: cursor "" is the first page; sync_token "" asks for everything,
        otherwise only what changed since that checkpoint. Page through with the ATS's own
        pagination (kept in `next_cursor`, opaque to the service). Raise SyncTokenExpired when the
        ATS refuses the token, ATSError for any other failure (the run resumes from `cursor`)."""
        raise NotImplementedError

    def sync_fetch(self, integration: Integration, resource: str, external_id: str) -> SyncPage:
        """A targeted refresh of one record (after a webhook named it): the record as the ATS has
        it now. Raise ATSNotFound when the ATS no longer has it."""
        raise NotImplementedError
