from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

import integrations.converters  # noqa: F401  (registers <provider:...>)
from integrations import views
from integrations.registry import get_providers

app_name = "integrations"

urlpatterns: list[URLPattern | URLResolver] = [
    path("webhooks/<provider:provider>/<str:public_id>/", views.WebhookReceiveView.as_view(), name="webhook"),
    # The seeds' paths: https://api.jobcannon.io/<provider>/webhooks and /<provider>/oauth-callback.
    path("<provider:provider>/webhooks", views.WebhookReceiveView.as_view(), name="webhook-seed"),
    path("<provider:provider>/webhooks/", views.WebhookReceiveView.as_view()),
    path("<provider:provider>/oauth-callback", views.OAuthCallbackView.as_view(), name="oauth-callback"),
    path("<provider:provider>/oauth-callback/", views.OAuthCallbackView.as_view()),
    path("integrations/", views.IntegrationListView.as_view(), name="list"),
    path("integrations/connect/", views.IntegrationConnectView.as_view(), name="connect"),
    path("integrations/<int:pk>/", views.IntegrationDetailView.as_view(), name="detail"),
    path("integrations/<int:pk>/<slug:action>/", views.IntegrationActionView.as_view(), name="action"),
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
