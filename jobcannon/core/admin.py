from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.models import Group
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from .models import SentEmail


@admin.register(SentEmail)
class SentEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "subject", "to"]
    search_fields = ["subject", "to"]


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Django's Group admin, its list with a second column. Django writes a list's first column
    as a row header (<th>): with the name alone, the "Name" column header stood over row headers
    only and axe could not tell whether cells were missing (th-has-data-cells). How many staff
    each group holds is what a person looking over the groups wants next."""

    list_display = ["name", "members"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(member_count=Count("user", distinct=True))

    @admin.display(description="Members", ordering="member_count")
    def members(self, obj: Group) -> int:
        return obj.member_count  # type: ignore[attr-defined]  # annotated in get_queryset
