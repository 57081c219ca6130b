"""Idempotent demo data: a demo user, a workspace, one sandbox integration per registered
provider wired to its built-in simulator.

`--json` prints the contract scripts rely on:
{"login": {"email", "password"}, "workspace": {"id", "slug"},
 "integrations": {"<provider>": {"id", "webhook_url", "webhook_secret", ...provider keys}}}
where webhook_secret signs that integration's incoming webhooks whatever the scheme, and
webhook_url is a path on this server."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from integrations.models import Environment, Integration
from integrations.registry import get_providers
from integrations.selectors import webhook_url_for
from integrations.services.integrations import integration_create
from jobcannon.workspaces.models import Membership, Role, Workspace

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "jobcannon-demo"


class Command(BaseCommand):
    help = "Create (or refresh) the demo user, workspace and sandbox integrations."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the demo data as one JSON object.")

    def handle(self, *args, **options):
        with transaction.atomic():
            user = self._user()
            workspace, _ = Workspace.objects.get_or_create(slug="demo", defaults={"name": "Demo Company"})
            Membership.objects.get_or_create(user=user, workspace=workspace, defaults={"role": Role.OWNER})
        integrations: dict[str, dict] = {}
        for key, provider in get_providers().items():
            if provider.hidden:
                continue
            integration = Integration.objects.filter(
                workspace=workspace, provider=key, environment=Environment.SANDBOX
            ).first()
            if integration is None:
                integration = integration_create(
                    workspace=workspace,
                    provider=key,
                    environment=Environment.SANDBOX,
                    auth_kind=provider.auth_kinds[0],
                    region=(provider.regions or ("",))[0],
                    created_by=user,
                    provider_settings={"use_simulator": True},
                )
            extra = provider.demo_setup(integration)
            integration.refresh_from_db()
            entry = {
                "id": integration.pk,
                "public_id": str(integration.public_id),
                "webhook_url": webhook_url_for(integration),
                "webhook_secret": integration.secrets_for_verification()[0],
                "status": integration.status,
            }
            entry.update(extra)
            integrations[key] = entry
        data = {
            "login": {"email": DEMO_EMAIL, "password": DEMO_PASSWORD},
            "workspace": {"id": workspace.pk, "slug": workspace.slug},
            "integrations": integrations,
        }
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
        else:
            self.stdout.write(self.style.SUCCESS(f"Demo ready: sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}"))
            for key, entry in integrations.items():
                self.stdout.write(
                    f"  {key}: integration {entry['id']} ({entry['status']}), webhooks at {entry['webhook_url']}"
                )

    def _user(self):
        User = get_user_model()
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(username="demo", email=DEMO_EMAIL, password=DEMO_PASSWORD)
        user.is_staff = True  # the demo user may open /admin/integrations/<provider>/logs and the dev mailbox
        user.is_superuser = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        from allauth.account.models import EmailAddress

        EmailAddress.objects.update_or_create(
            user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
        )
        return user
