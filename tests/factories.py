import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from assessments.models import Assessment, AssessmentRun
from integrations.models import Integration
from jobcannon.workspaces.models import Membership, Role, Workspace


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("correct-horse-battery")


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Acme {n}")
    slug = factory.Sequence(lambda n: f"acme-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    role = Role.OWNER


class IntegrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Integration

    workspace = factory.SubFactory(WorkspaceFactory)
    provider = "fake"
    environment = "sandbox"
    auth_kind = "api_key"
    status = "connected"
    credentials = factory.LazyFunction(lambda: {"api_key": "test-api-key-0001"})
    webhook_secrets = factory.LazyFunction(
        lambda: [{"secret": "whsec_test_secret", "created_at": timezone.now().isoformat()}]
    )


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment
        django_get_or_create = ("workspace", "instrument", "version")

    workspace = factory.SubFactory(WorkspaceFactory)
    instrument = "big5"
    version = "1"
    name = "Big Five"


class AssessmentRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssessmentRun

    workspace = factory.SubFactory(WorkspaceFactory)
    assessment = factory.SubFactory(AssessmentFactory, workspace=factory.SelfAttribute("..workspace"))
    instrument = factory.SelfAttribute("assessment.instrument")
    instrument_version = factory.SelfAttribute("assessment.version")
    candidate_first_name = "Alex"
    candidate_last_name = "Example"
    candidate_email = factory.Sequence(lambda n: f"candidate{n}@example.com")
