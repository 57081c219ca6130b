from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path, re_path

import integrations.converters  # noqa: F401  (registers <provider:...>)
from integrations import console_views, views
from integrations.registry import get_providers

app_name = "integrations"

urlpatterns: list[URLPattern | URLResolver] = [
    path("webhooks/<provider:provider>/<str:public_id>/", views.WebhookReceiveView.as_view(), name="webhook"),
    # Pasted without its slash: accepted as it is (an ATS does not follow a redirect with its POST).
    path("webhooks/<provider:provider>/<str:public_id>", views.WebhookReceiveView.as_view()),
    # The seeds' paths: https://api.jobcannon.io/<provider>/webhooks and /<provider>/oauth-callback.
    path("<provider:provider>/webhooks", views.WebhookReceiveView.as_view(), name="webhook-seed"),
    path("<provider:provider>/webhooks/", views.WebhookReceiveView.as_view()),
    path("<provider:provider>/oauth-callback", views.OAuthCallbackView.as_view(), name="oauth-callback"),
    path("<provider:provider>/oauth-callback/", views.OAuthCallbackView.as_view()),
    # Shareable reconnect link: no JobCannon account needed, the signed token is the permission.
    path("reconnect/<str:token>/", views.ReconnectLinkView.as_view(), name="reconnect"),
    # The customer console.
    path("integrations/", views.IntegrationListView.as_view(), name="list"),
    path("integrations/connect/", views.IntegrationConnectView.as_view(), name="connect"),
    path("integrations/connect/<provider:provider>/", views.IntegrationWizardView.as_view(), name="wizard"),
    path("integrations/runs/<int:run_pk>/", console_views.RunTimelineView.as_view(), name="run-timeline"),
    path(
        "integrations/runs/<int:run_pk>/writebacks/<int:message_pk>/replay/",
        console_views.WritebackReplayView.as_view(),
        name="writeback-replay",
    ),
    path("integrations/<int:pk>/", views.IntegrationDetailView.as_view(), name="detail"),
    path("integrations/<int:pk>/setup/", views.IntegrationSetupView.as_view(), name="setup"),
    path(
        "integrations/<int:pk>/checklist/", console_views.IntegrationChecklistView.as_view(), name="checklist"
    ),
    path(
        "integrations/<int:pk>/checklist/<slug:action>/",
        console_views.IntegrationChecklistActionView.as_view(),
        name="checklist-action",
    ),
    path("integrations/<int:pk>/logs/", console_views.IntegrationLogsView.as_view(), name="logs"),
    path(
        "integrations/<int:pk>/logs/webhooks/<int:event_pk>/",
        console_views.WebhookEventDetailView.as_view(),
        name="webhook-event",
    ),
    path("integrations/<int:pk>/runs/", console_views.IntegrationRunsView.as_view(), name="runs"),
    # Named actions only, so provider pages mounted at /integrations/<pk>/<key>/ are never shadowed.
    re_path(
        r"^integrations/(?P<pk>[0-9]+)/(?P<action>test|reauthorize|api-key|rotate-secret|reconnect-link|reconnect-revoke|disconnect)/$",
        views.IntegrationActionView.as_view(),
        name="action",
    ),
]

# Provider-owned URLs: partner APIs the ATS calls (/partners/<key>/...) and, outside
# production, the built-in simulators (/sim/<key>/...). Adding a provider adds no line here.
for _provider in get_providers().values():
    if _provider.urls():
        urlpatterns.append(
            path(
                f"partners/{_provider.key}/",
                include((_provider.urls(), _provider.key), namespace=f"partner-{_provider.key}"),
            )
        )
    if _provider.integration_urls():
        urlpatterns.append(
            path(
                f"integrations/<int:integration_pk>/{_provider.key}/",
                include(
                    (_provider.integration_urls(), _provider.key), namespace=f"integration-{_provider.key}"
                ),
            )
        )
    if settings.ATS_SIMULATORS_ENABLED and _provider.simulator_urls():
        urlpatterns.append(
            path(
                f"sim/{_provider.key}/",
                include((_provider.simulator_urls(), _provider.key), namespace=f"sim-{_provider.key}"),
            )
        )
