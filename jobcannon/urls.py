from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

import integrations.converters  # noqa: F401  (registers <provider:...>)
from integrations import admin_views
from jobcannon.core import admin_views as core_admin_views
from jobcannon.core import metrics as core_metrics
from jobcannon.core import views as core_views

urlpatterns = [
    # First: the webhook intake and partner API (what an ATS sends, the hottest paths) resolve
    # without trying every console pattern. Its patterns all start with their own prefixes
    # (webhooks/, <provider>/, partners/, integrations/, sim/, reconnect/): none shadows a route below.
    path("", include("integrations.urls")),
    # Staff integration logs (seed: /admin/integrations/<provider>/logs), before the admin catch-all.
    path(
        "admin/integrations/<provider:provider>/logs",
        admin.site.admin_view(admin_views.ProviderLogsView.as_view()),
        name="admin-integration-logs",
    ),
    path(
        "admin/integrations/<provider:provider>/logs/",
        admin.site.admin_view(admin_views.ProviderLogsView.as_view()),
    ),
    path(
        "admin/integrations/<provider:provider>/",
        admin.site.admin_view(admin_views.ProviderLogsRedirectView.as_view()),
    ),
    path(
        "admin/integrations/<provider:provider>",
        admin.site.admin_view(admin_views.ProviderLogsRedirectView.as_view()),
    ),
    path(
        "admin/system-status/",
        admin.site.admin_view(core_admin_views.SystemStatusView.as_view()),
        name="admin-system-status",
    ),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[]),
        name="api-docs",
    ),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_metrics.metrics_view, name="metrics"),
    path("dev/mailbox/", core_views.DevMailboxView.as_view(), name="dev-mailbox"),
    path("dev/mailbox/<int:pk>/", core_views.DevMailboxMessageView.as_view(), name="dev-mailbox-message"),
    path("", include("assessments.urls")),
    path("", include("jobcannon.workspaces.urls")),
    path("", include("jobcannon.audit.urls")),
    path("integrations/<int:integration_pk>/sync/", include("integrations.sync.urls")),
]

handler400 = "jobcannon.core.views.bad_request"
handler403 = "jobcannon.core.views.permission_denied"
handler404 = "jobcannon.core.views.page_not_found"
handler500 = "jobcannon.core.views.server_error"
