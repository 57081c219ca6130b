"""The embedded default a newcomer runs: SQLite, ORM broker, console email, simulators on."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
ATS_SIMULATORS_ENABLED = env_bool("ATS_SIMULATORS_ENABLED", True)
if ATS_SIMULATORS_ENABLED:
    # The simulators are a dev/test plug-in app: installed, it registers each provider's
    # simulator_plugin with integrations.plugins (production.py never installs it).
    INSTALLED_APPS = [*INSTALLED_APPS, "integrations.simulator_plugins"]  # noqa: F405
# Outgoing mail goes to the database so staff can read it at /dev/mailbox/ without SMTP.
EMAIL_BACKEND = "jobcannon.core.mail.DatabaseEmailBackend"
DEV_MAILBOX_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION = "optional"
# The demo user is staff (for the integration logs and the dev mailbox); production requires MFA
# for staff, the embedded default does not, so a newcomer is not asked to enrol an authenticator.
MFA_REQUIRED_FOR_STAFF = env_bool("MFA_REQUIRED_FOR_STAFF", False)
