"""The crawl covers every page: each URL pattern of the project that serves a page is among the
crawled URLs, or skipped below with its reason; and the crawl spans at least MIN_PAGES pages.
(No browser: this is the list the test_a11y_*.py files crawl, one file per group.)"""

from __future__ import annotations

from dataclasses import fields
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from integrations.models import IntegrationStatus
from tests.jobcannon.a11y.crawler import AXE_RUN
from tests.jobcannon.a11y.pages import GROUPS, PageSpec, admin_delete_urls
from tests.security.urlwalk import Route, iter_routes

MIN_PAGES = 80

# Not pages of ours, by URL namespace or view (dotted path prefix).
NOT_PAGES = {
    "integrations:partner-": "partner APIs an ATS calls (JSON)",
    "integrations.views.WebhookReceiveView": "the webhook intake (machines POST JSON)",
    "assessments.apis.": "JSON API",
    "assessments.recruiter_views.RunReportPdfView": "a PDF",
    "assessments.recruiter_views.ReportSharedPdfView": "a PDF",
    "jobcannon.core.views.healthz": "health probe (text)",
    "jobcannon.core.views.readyz": "readiness probe (JSON)",
    "jobcannon.core.metrics.metrics_view": "Prometheus metrics (text)",
    "drf_spectacular.views.SpectacularAPIView": "the OpenAPI schema (YAML)",
    "allauth.account.views.LogoutView": "signs out (a POST form on every page)",
    "django.contrib.admin.sites.AdminSite.logout": "signs out",
    "django.contrib.admin.sites.AdminSite.login": "redirects to the sign-in page (crawled)",
    "django.contrib.admin.sites.AdminSite.autocomplete_view": "JSON for the admin's autocomplete widgets",
    "django.contrib.admin.sites.AdminSite.i18n_javascript": "JavaScript",
    "django.contrib.admin.sites.AdminSite.catch_all_view": "redirects unknown admin URLs",
    "django.contrib.contenttypes.views.shortcut": "redirects to an object's page",
    "django.views.generic.base.RedirectView": "redirects",
    "integrations.admin_views.ProviderLogsRedirectView": "redirects to the staff logs",
    "allauth.account.views.PasswordSetView": "the demo customer has a password: redirects to password change",
    "allauth.account.views.ConfirmLoginCodeView": "only inside a sign-in by emailed code (not enabled)",
    "allauth.mfa.recovery_codes.views.DownloadRecoveryCodesView": "a text file (the recovery codes)",
}


def _view(callback) -> str:
    """The view's dotted name, as urlwalk.Route.view spells it."""
    cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    target = cls or callback
    return f"{target.__module__}.{getattr(target, '__qualname__', getattr(target, '__name__', '?'))}"


# The built-in ATS simulators' pages are crawled (pages.simulator_pages); not their machine side
# or their POST-only actions, by URL name in an `integrations:sim-<provider>` namespace.
SIMULATOR_NOT_PAGES = {
    "api": "a simulated ATS's API (JSON), called by our clients",
    "oauth-token": "a simulated ATS's OAuth token endpoint (JSON)",
    "attachment": "a simulated ATS's file download",
    "workflow": "the Knit simulator's workflow webhook (JSON)",
    # Apps & Integrations' Connect, Remove, Withdraw (apps-connect, apps-remove, apps-withdraw).
    "apps": "a simulator's POST action (its button is on the crawled sandbox company page)",
    "inline-apply": "a simulator's POST action (its form is on the crawled sandbox job page)",
}


def _simulator_skip_reason(route: Route) -> str | None:
    if not route.namespace.startswith("integrations:sim-"):
        return None
    name = route.pattern.name or ""
    for prefix, reason in SIMULATOR_NOT_PAGES.items():
        if name == prefix or name.startswith(f"{prefix}-"):
            return reason
    return None


def _skip_reason(route: Route) -> str | None:
    if reason := _simulator_skip_reason(route):
        return reason
    for prefix, reason in NOT_PAGES.items():
        if route.view.startswith(prefix) or f"{route.namespace}:".startswith(prefix):
            return reason
    cls = getattr(route.pattern.callback, "view_class", None)
    if cls is not None and not hasattr(cls, "get"):
        return "POST only (an action; its form is on a crawled page)"
    return None


def crawled_views(specs: list[PageSpec]) -> set[str]:
    """The views whose pages the crawl checks: those of the URLs the pages end at (the crawl
    fails a page that ends anywhere else), not of the URLs asked for. A URL no view serves (the
    404 handler's page) covers none."""
    views = set()
    for spec in specs:
        try:
            views.add(_view(resolve(urlsplit(spec.final_url).path).func))
        except Resolver404:
            continue
    return views


def test_no_crawled_page_leaves_a_part_of_itself_or_a_rule_out_of_axe():
    """axe checks each page's whole document with every rule of the tags: a page cannot declare
    a part axe skips (Swagger UI once was) and the run switches no rule off."""
    assert [f.name for f in fields(PageSpec) if "exclude" in f.name] == []
    assert "axe.run(document," in AXE_RUN
    assert "exclude" not in AXE_RUN and "rules:" not in AXE_RUN


def test_a_page_that_redirects_on_purpose_covers_the_page_it_lands_on_not_the_one_asked_for():
    asked, landed = reverse("mfa_activate_totp"), reverse("account_reauthenticate")
    views = crawled_views([PageSpec("two-factor set-up, not re-authenticated", asked, redirect_to=landed)])
    assert views == {"allauth.account.views.ReauthenticateView"}


@pytest.mark.django_db(transaction=True)
def test_the_crawl_covers_every_page_of_the_project(world):
    specs = [spec for group in GROUPS.values() for spec in group.pages(world)]
    print(f"a11y crawl: {len(specs)} pages in {len(GROUPS)} groups, each at 2 widths")
    assert len(specs) >= MIN_PAGES, f"the crawl spans {len(specs)} pages, fewer than {MIN_PAGES}"
    # A page is its URL, who looks at it (the admin as staff and as support staff), what is
    # clicked on it and what is sent from it (a form's error state is at the form's URL).
    seen = {(group.who, s.url, s.steps, s.submit) for group in GROUPS.values() for s in group.pages(world)}
    assert len(seen) == len(specs), "a page is listed twice"
    # A view is covered when a page the crawl ends at is one of its URLs (the admin's views
    # serve every model; the model pages themselves come from admin.site._registry in pages.py).
    crawled = crawled_views(specs)
    missing = [
        f"{route.display} [{route.view}]"
        for route in iter_routes()
        if _skip_reason(route) is None and route.view not in crawled
    ]
    assert not missing, "pages the crawl does not visit (add them to pages.py or NOT_PAGES):\n" + "\n".join(
        missing
    )


@pytest.mark.django_db(transaction=True)
def test_every_admin_models_history_and_delete_page_is_crawled_or_refused(world):
    """Every registered model: its object's history page is crawled, and its delete
    confirmation page too, unless the admin refuses it (test_a11y_admin_delete.py checks the 403)."""
    history = {s.url for s in GROUPS["admin history"].pages(world)}
    deletable, refused = admin_delete_urls(world)
    delete = {s.url for s in GROUPS["admin delete"].pages(world)}
    assert delete == {s.url for s in deletable} and not delete & set(refused)
    for model in admin.site._registry:
        pk = world.admin_objects[model].pk
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert reverse(f"{prefix}_history", args=[pk]) in history, model
        assert reverse(f"{prefix}_delete", args=[pk]) in delete | set(refused), model


@pytest.mark.django_db(transaction=True)
def test_the_crawl_sends_the_forms_whose_error_states_it_checks(world):
    specs = [spec for group in GROUPS.values() for spec in group.pages(world)]
    sent = sorted(s.label for s in specs if s.submit is not None)
    assert sent == [
        "admin success message",
        "admin warning message",
        "connect lever, simulator in production",
        "new workspace, no name",
        "question page, sent unanswered",
        "sign in, wrong password",
    ]


# The site-wide error page (jobcannon/urls.py handler400/403/404/500 -> templates/error.html):
# its heading for each status, as jobcannon/core/views.py titles it.
ERROR_PAGE_TITLES = {400: "Bad request", 403: "Not allowed", 404: "Not found", 500: "Something went wrong"}


@pytest.mark.django_db(transaction=True)
def test_the_crawl_checks_the_site_wide_error_page_for_every_status_it_is_shown_with(world):
    """A crawled page ends at the handlers' error page with each status: what a signed-in or
    signed-out visitor of a mistyped address (404), a member at an owner's page (403), a request
    the server cannot understand (400) and a failure (500) see, opened here as the crawl's user
    of that page opens it (the 500 as a browser gets it, not raised into the test)."""
    shown: dict[int, list[str]] = {status: [] for status in ERROR_PAGE_TITLES}
    for name, group in GROUPS.items():
        if group.second_step:
            continue  # half-way through a sign-in: a page of its own, not an error page
        client = Client(raise_request_exception=False)
        if group.who:
            client.force_login(getattr(world, group.who))
        for spec in group.pages(world):
            if spec.status not in ERROR_PAGE_TITLES or spec.submit is not None or spec.redirect_to:
                continue
            response = client.get(spec.url)
            title = f"<h1>{ERROR_PAGE_TITLES[spec.status]}</h1>"
            if (
                response.status_code == spec.status
                and "error.html" in [t.name for t in response.templates]
                and title in response.content.decode()
            ):
                shown[spec.status].append(f"{name}: {spec.label}")
    assert all(shown.values()), (
        f"error pages the crawl does not check: {[s for s, p in shown.items() if not p]}"
    )
    # The 404 signed in and signed out (the navigation differs); the 403 as a member.
    assert any(p.startswith("customer: ") for p in shown[404]) and any(
        p.startswith("candidate: ") for p in shown[404]
    )
    assert any(p.startswith("customer (member): ") for p in shown[403])


@pytest.mark.django_db(transaction=True)
def test_the_crawl_sees_the_integrations_that_need_attention_as_an_owner_and_as_a_member(world):
    """The crawled list page carries the attention banner of the integration that needs
    re-authorization and of the disconnected one, each saying what is wrong; their crawled
    detail pages show an owner the Re-authorize section and a member only the health."""
    reauth, gone = (
        world.attention[s] for s in (IntegrationStatus.NEEDS_REAUTH, IntegrationStatus.DISCONNECTED)
    )
    crawled = {(name, s.url) for name, group in GROUPS.items() for s in group.pages(world)}
    for who, group in (("demo_user", "customer"), ("member_user", "customer (member)")):
        client = Client()
        client.force_login(getattr(world, who))
        page = client.get(reverse("integrations:list")).content.decode()
        assert (group, reverse("integrations:list")) in crawled
        assert "needs re-authorization." in _banner(page, reauth)
        assert "is disconnected." in _banner(page, gone)
        for integration in world.attention.values():
            url = reverse("integrations:detail", args=[integration.pk])
            assert (group, url) in crawled
            detail = client.get(url).content.decode()
            assert ('id="reconnect"' in detail) == (who == "demo_user"), (who, integration.status)


def _banner(page: str, integration) -> str:
    """The text of `integration`'s attention banner on `page` ("" without one)."""
    start = page.find(f'id="banner-{integration.pk}"')
    return "" if start < 0 else " ".join(page[start : page.find("</div>", start)].split())
