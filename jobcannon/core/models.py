from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SentEmail(models.Model):
    """A copy of every outgoing email in local/test settings, read at /dev/mailbox/ so a
    newcomer can open an invitation without SMTP. Not used in production."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    subject = models.CharField(max_length=300)
    from_email = models.CharField(max_length=300)
    to = models.TextField(help_text="Comma-separated recipients")
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class JobLease(models.Model):
    """A named lease that keeps a periodic job single: the scheduler may enqueue it again while
    a slow run is still going (or several times after downtime), and the second run must not
    start. Taking it is one conditional UPDATE (or the INSERT of the first run), so it holds
    across processes and machines on PostgreSQL and SQLite alike."""

    name = models.CharField(max_length=200, unique=True)
    token = models.CharField(max_length=32, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=500, blank=True, default="")
    skipped_count = models.PositiveIntegerField(default=0)

    class Meta:
        # The staff system status page (jobcannon.core.admin_views) shows these leases next to
        # the schedules, queue and failures: viewing it is its own permission (issue 21).
        permissions = [("view_system_status", "Can view the system status page")]

    def __str__(self) -> str:
        return self.name
