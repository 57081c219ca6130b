"""Mounted at /integrations/<int:integration_pk>/sync/ (jobcannon/urls.py)."""

from django.urls import path

from . import views

app_name = "sync"

urlpatterns = [
    path("", views.SyncRunListView.as_view(), name="runs"),
    path("runs/<int:run_pk>/", views.SyncRunDetailView.as_view(), name="run"),
]
