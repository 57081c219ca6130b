"""HTTP to SmartRecruiters, one credential per kind of call (SRD /docs/integration-workflow):

- `SmartRecruitersCompanyClient`: the company-level client credentials SR returned from
  setUpIntegration ("for your service to retrieve job and candidate information, and submit
  assessment results"): results and their attachments, and the Customer API reads;
- `SmartRecruitersPartnerClient`: the partner ("master") client credentials: the partner
  configuration (where SR reaches our endpoints) and setUpIntegration;
- `SmartRecruitersClient`: the customer's OAuth token (authorization code, the customer's own
  app), optional: the Webhooks API subscriptions, and the Customer API where the company token
  lacks the scope; never results (SR gives them to the company credentials, refuses the token).

Client-credentials tokens come from POST https://api.smartrecruiters.com/identity/oauth/token
(SRD /docs/authentication-oauth-client-credential) and are kept, encrypted, in Django's cache
(Redis, or the database cache: shared by the web server and every worker) until 60 s before they
lapse, so a result and its attachment sent by two workers fetch one token, not one each."""

from __future__ import annotations

import hashlib
import logging
from typing import Any
from urllib.parse import quote

import requests
from django.core.cache import cache

from integrations.base import ATSAuthError, ATSError, ATSPermissionError, ATSValidationError, BaseClient
from integrations.services.oauth import token_get_access
from jobcannon.core.crypto import decrypt_str, encrypt_str

from . import constants, mappers

logger = logging.getLogger(__name__)


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


def _q(value: str) -> str:
    return quote(value, safe="")


class _SRErrors(BaseClient):
    request_id_header = "X-Request-Id"

    def error_message(self, response: requests.Response) -> tuple[str, str]:
        # SR errors: {"code": "...", "message": "...", "errors": [{"code", "message"}]}
        try:
            body = response.json()
        except ValueError:
            return "", ""
        if not isinstance(body, dict):
            return "", ""
        first = (body.get("errors") or [{}])[0] if isinstance(body.get("errors"), list) else {}
        first = first if isinstance(first, dict) else {}
        message = str(body.get("message") or first.get("message") or body.get("error_description") or "")
        code = str(first.get("code") or body.get("code") or body.get("error") or "")
        return message, code


class CompanyNotRegistered(ATSError):
    """No company credentials yet (the company has not consented in SR's Apps & Integrations):
    nothing is sent. Retryable, so the outbox keeps the write (retrying with backoff, the reason
    on the row) instead of marking the integration for re-authorization; once consent lands,
    setup.partner_register sends the held writes at once (services.results_resume)."""

    code = "smartrecruiters_company_not_registered"
    status = 409
    retryable = True


# The customer's way back when SR refuses the company credentials (SRD /docs/integration-workflow:
# SR issues them at setUpIntegration, which needs the company's consent in Apps & Integrations).
COMPANY_CREDENTIALS_REFUSED_FIX = (
    "SmartRecruiters no longer accepts the company credentials it issued to JobCannon: the company "
    "removed JobCannon or withdrew its consent in SmartRecruiters. A SmartRecruiters admin re-approves "
    "JobCannon in Settings → Apps & Integrations → JobCannon → Connect → Authorize and Continue; "
    "SmartRecruiters then issues new credentials and JobCannon sends the held results at once. "
    "Re-authorizing the OAuth app does not help: it is not the consent."
)


class CompanyCredentialsRefused(ATSError):
    """SR refused the company credentials we hold: its token endpoint answered 401 (or 400
    invalid_client) for them, or the results endpoints answered 401/403 to a fresh token. Like
    CompanyNotRegistered it is retryable, so the outbox holds the write (retrying, the reason on
    the row) and the integration stays connected: re-authorizing the customer's OAuth app cannot
    bring these credentials back, only the company's consent can (provider.deliver forgets them;
    a new setUpIntegration sends the held writes, services.results_resume)."""

    code = "smartrecruiters_company_credentials_refused"
    status = 409
    retryable = True


class ConsentMissing(ATSError):
    """An OAuth reconnect of an integration SR removed, while SR refuses the registration: the
    sign-in is not the company's consent (provider.on_connected). Not retryable: the integration
    stays pending, with the consent steps, until the company connects JobCannon again in SR's Apps
    & Integrations (the consent page then reconnects it)."""

    code = "smartrecruiters_consent_missing"
    status = 409


class _AssessmentResults(_SRErrors):
    """The results calls; made with the company credentials only (SRD /docs/integration-workflow)."""

    def order_results_update(self, *, url: str, body: dict[str, Any]) -> dict[str, Any]:
        """packageResultUpdate: PATCH the order's results URL (SR's resultCallbackURL, SRO
        …/orders/{orderId}/results) with a PackageResult."""
        response = self.request("PATCH", url, operation="assessment.results.update", json=body)
        return response.json() if response.content else {}

    def order_attachment_add(self, *, results_url: str, name: str, content: bytes, content_type: str) -> str:
        """addAttachmentToOrder: multipart POST …/orders/{orderId}/results/attachment (SRO; the
        order's results URL + "/attachment"); answers 201 AttachmentResult {url}, returned."""
        from urllib3.filepost import encode_multipart_formdata

        body, multipart_type = encode_multipart_formdata(
            {constants.ATTACHMENT_PART: (name, content, content_type)}
        )
        response = self.request(
            "POST",
            results_url.rstrip("/") + constants.RESULTS_ATTACHMENT_SUFFIX,
            operation="assessment.results.attachment",
            data=body,
            headers={"Content-Type": multipart_type},
        )
        answer = response.json() if response.content else {}
        return str(answer.get("url") or "") if isinstance(answer, dict) else ""


class _CustomerApi(_SRErrors):
    """Customer API reads (and the candidate property write), the same calls with either
    credential: SRD /docs/integration-workflow gives the company (customer-level) credentials
    "to retrieve job and candidate information", so once SR issued them these go with them
    (provider.reads_client picks, by the scope each call needs); the customer's OAuth token is
    the fallback where the company token lacks the scope (constants.COMPANY_TOKEN_SCOPES)."""

    def company(self) -> mappers.Company:
        return mappers.company_from(
            self.request("GET", "/configuration/company", operation="company.get").json()
        )

    def jobs(self, *, limit: int = 100) -> list[mappers.Job]:
        return mappers.jobs_from(
            self.request("GET", "/jobs", operation="jobs.list", params={"limit": limit}).json()
        )

    def candidates(self, *, job_id: str) -> list[mappers.Candidate]:
        body = self.request(
            "GET", "/candidates", operation="candidates.list", params={"jobId": job_id, "limit": 100}
        )
        return mappers.candidates_from(body.json())

    def custom_fields(self) -> list[mappers.CustomField]:
        body = self.request(
            "GET", "/configuration/candidate-properties", operation="candidate_properties.list"
        )
        return mappers.custom_fields_from(body.json())

    def property_set(self, *, candidate_id: str, job_id: str, property_id: str, value: str) -> None:
        self.request(
            "PUT",
            f"/candidates/{_q(candidate_id)}/jobs/{_q(job_id)}/properties/{_q(property_id)}",
            operation="candidate_properties.set",
            json={"value": value},
        )


class SmartRecruitersClient(_CustomerApi):
    """The customer's OAuth token: the Customer API (fallback, see _CustomerApi) and the Webhooks
    API, which only it can manage (webhooks_manage; no results calls: see the module docstring)."""

    def auth(self) -> requests.auth.AuthBase | None:
        return _Bearer(token_get_access(integration=self.integration))

    # -- webhook subscriptions (Webhooks API v201907, reference §2.4) --
    def seed_subscribe(self, *, event: str, target_url: str, headers: dict[str, str]) -> dict[str, Any]:
        body = {"event": event, "targetUrl": target_url, "headers": headers}
        return self.request(
            "POST", constants.SEED_SUBSCRIPTIONS_PATH, operation="webhooks.subscribe.seed", json=body
        ).json()

    def subscriptions(self) -> list[dict[str, Any]]:
        """GET /subscriptions: SRO answers a JSON array of Subscription; a {"content": [...]}
        page is read too."""
        body = self.request(
            "GET",
            constants.VENDOR_SUBSCRIPTIONS_PATH,
            operation="webhooks.subscriptions.list",
            params={"limit": constants.SUBSCRIPTIONS_PAGE_LIMIT},  # SRO: default 10, max 100
        ).json()
        items = body.get("content") if isinstance(body, dict) else body
        return [s for s in (items or []) if isinstance(s, dict)]

    def subscribe(self, *, callback_url: str, events: list[str]) -> dict[str, Any]:
        """SRO SubscriptionRequest: {"callbackUrl", "events": [event names]}; SR answers 201 with
        the Subscription, its events as [{"name", "version"}] (the version is SR's, read-only)."""
        body = {"callbackUrl": callback_url, "events": events}
        return self.request(
            "POST", constants.VENDOR_SUBSCRIPTIONS_PATH, operation="webhooks.subscribe", json=body
        ).json()

    def subscription_activate(self, *, subscription_id: str) -> None:
        # SR now POSTs X-Hook-Secret to the callback and waits up to 20 s for the echo (§2.4).
        self.request(
            "PUT",
            f"{constants.VENDOR_SUBSCRIPTIONS_PATH}/{_q(subscription_id)}/activation",
            operation="webhooks.activate",
        )

    def subscription_secret_key(self, *, subscription_id: str) -> str:
        body = self.request(
            "POST",
            f"{constants.VENDOR_SUBSCRIPTIONS_PATH}/{_q(subscription_id)}/secret-key",
            operation="webhooks.secret_key.generate",
        ).json()
        return str(body.get("secretKey") or "")  # SRO SecretKeyPayload {"secretKey"}

    def subscription_delete(self, *, subscription_id: str) -> None:
        self.request(
            "DELETE",
            f"{constants.VENDOR_SUBSCRIPTIONS_PATH}/{_q(subscription_id)}",
            operation="webhooks.delete",
        )


# --- client credentials ------------------------------------------------------------------------

# RFC 6749 5.2 error codes by which a token endpoint refuses the client itself (a 400 body).
TOKEN_CLIENT_REFUSED_CODES = ("invalid_client", "unauthorized_client")

# Django cache keys of the client-credentials tokens: this prefix + a hash of the token URL, client
# id and secret (never the secret itself). The value is the token, encrypted (jobcannon.core.crypto).
TOKEN_CACHE_PREFIX = "sr:client-credentials-token:"


class _TokenEndpoint(_SRErrors):
    refresh_on_auth_error = False


class _ClientCredentials(_AssessmentResults):
    """A client authenticated with an SR client-credentials token (cached until 60 s before it
    lapses; dropped on a 401 so the next call gets a fresh one)."""

    refresh_on_auth_error = False
    id_key = ""
    secret_key = ""
    # The `scope` asked for with the token (RFC 6749 4.4.2; SRD's client-credentials page names
    # none, so () sends no scope and SR grants what the credential was approved for).
    token_scopes: tuple[str, ...] = ()
    # Whether the last call's token came from the token endpoint (not the cache).
    fresh_token = False

    def refused(self, error: ATSError, *, where: str) -> ATSError:
        """What SR's refusal of these credentials raises (the company client's own error)."""
        return error

    def credentials(self) -> tuple[str, str]:
        return (
            str(self.integration.credential(self.id_key, "") or ""),
            str(self.integration.credential(self.secret_key, "") or ""),
        )

    def _cache_key(self, client_id: str, secret: str) -> str:
        digest = hashlib.sha256(f"{self.base_url}|{client_id}|{secret}".encode()).hexdigest()
        return TOKEN_CACHE_PREFIX + digest

    def _cached_token(self, key: str) -> str:
        try:
            stored = cache.get(key)
        except Exception:  # noqa: BLE001 - the cache down (Redis, no cache table): fetch a token
            logger.warning("smartrecruiters.token_cache_unavailable", exc_info=True)
            return ""
        try:
            return decrypt_str(stored) if isinstance(stored, str) else ""
        except ValueError:  # written under an encryption key no longer configured: fetch anew
            return ""

    @staticmethod
    def _cache_write(key: str, token: str | None, lifetime: int = 0) -> None:
        """Keep (token) or forget (None) a token; with the cache down each call fetches its own."""
        try:
            if token is None:
                cache.delete(key)
            elif lifetime > 0:
                cache.set(key, encrypt_str(token), timeout=lifetime)
        except Exception:  # noqa: BLE001
            logger.warning("smartrecruiters.token_cache_unavailable", exc_info=True)

    def auth(self) -> requests.auth.AuthBase | None:
        client_id, secret = self.credentials()
        if not client_id or not secret:
            raise ATSAuthError(self.missing_message)
        key = self._cache_key(client_id, secret)
        cached = self._cached_token(key)
        if cached:
            self.fresh_token = False
            return _Bearer(cached)
        token_url = self.provider.client_credentials_token_url(self.integration)  # type: ignore[attr-defined]
        endpoint = _TokenEndpoint(self.integration, self.provider)
        # SRD /docs/rate-limiting counts per credential: the token request spends the same
        # credential's 10/s and 8 concurrent as the call it is for (the master credential's
        # shared partner:<id> account for the partner client), and holds one of its slots while
        # in flight (BaseClient._send takes the token before the outer call's slot).
        endpoint.rate_limit_account = self.rate_limit_account
        try:
            response = endpoint.request(
                "POST",
                token_url,
                operation="identity.token.client_credentials",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                    **({"scope": " ".join(self.token_scopes)} if self.token_scopes else {}),
                },
            )
        except (ATSAuthError, ATSValidationError) as exc:
            # RFC 6749 5.2: a client SR does not know (any more) is 401, or 400 invalid_client.
            if isinstance(exc, ATSAuthError) or exc.vendor_code in TOKEN_CLIENT_REFUSED_CODES:
                raise self.refused(exc, where="its token endpoint") from exc
            raise
        self.fresh_token = True
        body = response.json()
        lifetime = max(60, int(body.get("expires_in") or 600)) - 60
        self._cache_write(key, str(body["access_token"]), lifetime)
        return _Bearer(str(body["access_token"]))

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return super().request(method, path, **kwargs)
        except ATSAuthError:
            client_id, secret = self.credentials()
            self._cache_write(self._cache_key(client_id, secret), None)
            raise

    missing_message = "No SmartRecruiters client credentials."


class SmartRecruitersPartnerClient(_ClientCredentials):
    """Partner level: the master credentials SR Partner Operations issued (setup.master_credentials)."""

    missing_message = (
        "JobCannon has no SmartRecruiters partner (master) credentials: set SMARTRECRUITERS_PARTNER_CLIENT_ID "
        "and SMARTRECRUITERS_PARTNER_CLIENT_SECRET."
    )

    # SRD /reference/assessment-partner-integration, setUpIntegration step 1: "Validates if token
    # has client_credentials_write scope (created using master credentials)" [F]; SRO's `security`
    # for it and for savePartnerConfig: partner_configuration_manage [F]. Both asked for by name,
    # so a master token never lacks them [I: SR's token endpoint may ignore `scope` and grant what
    # Partner Operations approved].
    token_scopes = (constants.SCOPE_CLIENT_CREDENTIALS_WRITE, constants.SCOPE_PARTNER_CONFIGURATION_MANAGE)

    def __init__(self, integration, provider, *, master: tuple[str, str]):
        super().__init__(integration, provider)
        self.master = master
        # SR's limits (10 requests/s, 8 concurrent: SRD "Rate limits") are per credential: every
        # integration's partner calls spend the one master credential's, so they share its bucket.
        self.rate_limit_account = f"partner:{master[0]}"

    def credentials(self) -> tuple[str, str]:
        return self.master

    def partner_configuration_get(self) -> dict[str, Any]:
        """getPartnerConfig: GET {ASSESSMENT_API}/partner/configuration (OCM, from SR's
        assessment-partner-api.json); 404 while none was saved."""
        response = self.request(
            "GET", constants.PARTNER_CONFIGURATION_PATH, operation="assessment.partner_configuration.get"
        )
        body = response.json() if response.content else {}
        return body if isinstance(body, dict) else {}

    def partner_configuration_save(self, *, body: dict[str, Any]) -> dict[str, Any]:
        """savePartnerConfig: PUT {ASSESSMENT_API}/partner/configuration with the master token
        (OCM: JSON body, bearer). Tells SR where our endpoints are (SRD /docs/integration-workflow:
        the partner-level credential is "for you to communicate your service endpoint to
        SmartRecruiters"); setUpIntegration answers 404 "Partner configuration does not exist"
        until it is saved. The body's field names: constants.PARTNER_CONFIGURATION_FIELDS."""
        response = self.request(
            "PUT",
            constants.PARTNER_CONFIGURATION_PATH,
            operation="assessment.partner_configuration.save",
            json=body,
        )
        answer = response.json() if response.content else {}
        return answer if isinstance(answer, dict) else {}

    def integration_setup(self, *, company_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """SRD /reference/assessment-partner-integration: needs a partner token with
        client_credentials_write; answers with the credentials SR created for the company."""
        response = self.request(
            "POST",
            f"{constants.ASSESSMENT_API}/integration/company/{_q(company_id)}",
            operation="assessment.integration.setup",
            json=body,
        )
        return response.json() if response.content else {}


class SmartRecruitersCompanyClient(_ClientCredentials, _CustomerApi):
    """Company level: the credentials SR returned from setUpIntegration. Every refusal of them
    is CompanyCredentialsRefused (held, explained), never ATSAuthError / ATSPermissionError,
    which would mark the integration for a re-authorization that cannot help."""

    id_key = "company_client_id"
    secret_key = "company_client_secret"
    missing_message = (
        "SmartRecruiters has not issued company credentials to JobCannon yet: connect JobCannon from "
        "SmartRecruiters' Apps & Integrations (the consent step), then results can be written."
    )

    def refused(self, error: ATSError, *, where: str) -> ATSError:
        status = f"HTTP {error.status_code}" if error.status_code else type(error).__name__
        return CompanyCredentialsRefused(
            f"{COMPANY_CREDENTIALS_REFUSED_FIX} (SmartRecruiters answered {status} at {where}: "
            f"{error.message})",
            status_code=error.status_code,
            vendor_code=error.vendor_code,
            request_id=error.request_id,
        )

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        results = str(kwargs.get("operation") or "").startswith("assessment.")
        where = "the results endpoint" if results else "the Customer API"
        # A 403 on a Customer API read is a scope the company token lacks, not a refusal of the
        # credentials: it stays ATSPermissionError (explained by the caller), nothing is forgotten.
        refused_statuses: tuple[type[ATSError], ...] = (
            (ATSAuthError, ATSPermissionError) if results else (ATSAuthError,)
        )
        try:
            return super().request(method, path, **kwargs)
        except ATSPermissionError as exc:
            if not results:
                raise
            # SRO results endpoints: 403 for credentials without access to the company's orders.
            raise self.refused(exc, where=where) from exc
        except ATSAuthError as exc:
            if self.fresh_token:
                raise self.refused(exc, where=where) from exc
            # A cached token SR no longer takes (super() dropped it): once more with a fresh one,
            # so only SR's answer for the credentials themselves forgets them.
        try:
            return super().request(method, path, **kwargs)
        except refused_statuses as exc:
            raise self.refused(exc, where=where) from exc


class CustomerCredentialsRefused(ATSError):
    """SR's token endpoint (or the company call) refused the customer's self-serve client
    credentials: the page says what to check; nothing is stored."""

    code = "smartrecruiters_customer_credentials_refused"
    status = 400


class SmartRecruitersCustomerClient(SmartRecruitersCompanyClient):
    """The company's self-serve client credentials (SR Credential Manager → "OAuth client ID";
    SRD /docs/authentication-oauth-client-credential): a client-credentials token from
    provider.client_credentials_token_url (SR's documented POST /identity/oauth/token, never a
    per-integration host) and the Customer API call that names the company. Only the HTTP of
    client.py is used; `credentials` may be handed in (pasted on the consent page, not stored
    until SR named the company with them)."""

    id_key = constants.CUSTOMER_CLIENT_ID
    secret_key = constants.CUSTOMER_CLIENT_SECRET
    missing_message = constants.CONSENT_CUSTOMER_CREDENTIALS_MISSING

    def __init__(self, integration, provider, *, credentials: tuple[str, str] | None = None):
        super().__init__(integration, provider)
        self.given = credentials

    def credentials(self) -> tuple[str, str]:
        return self.given or super().credentials()

    def refused(self, error: ATSError, *, where: str) -> ATSError:
        status = f"HTTP {error.status_code}" if error.status_code else type(error).__name__
        return CustomerCredentialsRefused(
            f"SmartRecruiters answered {status} at {where}: {error.message}".rstrip(": "),
            status_code=error.status_code,
            vendor_code=error.vendor_code,
            request_id=error.request_id,
        )
