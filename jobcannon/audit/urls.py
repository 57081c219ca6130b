from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("workspace/security/", views.SecurityView.as_view(), name="security"),
    path("workspace/audit/", views.AuditLogView.as_view(), name="log"),
    path("workspace/privacy/export/", views.CandidateExportView.as_view(), name="privacy-export"),
    path("workspace/privacy/delete/", views.CandidateDeleteView.as_view(), name="privacy-delete"),
]
