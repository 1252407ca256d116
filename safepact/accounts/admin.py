"""A minimal platform admin. Partnership content is not administered here."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from safepact.accounts.models import ApiToken, Organisation, OrganisationMembership, User
from safepact.audit.services import audit_record

SECRET_FIELDS = {"password", "password1", "password2", "token_hash"}


def _plain(value):
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


class AuditedAdminMixin:
    """Changes made in the Django admin land in the hash-chained trail too (platform chain).

    The admin runs its add, change and delete views in a transaction, so each event is
    written atomically with the change it records.
    """

    def _record(self, request, obj, verb, after=None):
        audit_record(
            actor=request.user,
            action=f"admin.{obj._meta.model_name}.{verb}",
            target=obj,
            after=after,
            reason="Django admin",
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._record(request, obj, "changed" if change else "created", _changed_values(form))

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            self._record(request, obj, "created")
        for obj, fields in formset.changed_objects:
            self._record(request, obj, "changed", {"fields": list(fields)})
        for obj in formset.deleted_objects:
            self._record(request, obj, "deleted")

    def delete_model(self, request, obj):
        self._record(request, obj, "deleted")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._record(request, obj, "deleted")
        super().delete_queryset(request, queryset)


def _changed_values(form) -> dict:
    """The changed fields with their new values; secrets only as "(changed)"."""
    return {
        name: "(changed)" if name in SECRET_FIELDS else _plain(form.cleaned_data.get(name))
        for name in form.changed_data
    }


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    ordering = ["email"]
    list_display = ["email", "full_name", "language", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "language"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["code", "date_joined", "last_login"]
    filter_horizontal = ["groups", "user_permissions"]
    fieldsets = [
        (None, {"fields": ["code", "email", "password"]}),
        (_("Personal details"), {"fields": ["full_name", "language"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "usable_password", "password1", "password2"],
            },
        ),
    ]


class OrganisationMembershipInline(admin.TabularInline):
    model = OrganisationMembership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "job_title", "is_authorised_signatory", "is_law_enforcement_officer"]


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "sector", "country", "registration_number"]
    list_filter = ["kind", "sector", "country"]
    search_fields = ["name", "registration_number"]
    readonly_fields = ["code", "created_at"]
    autocomplete_fields = ["member_of"]
    inlines = [OrganisationMembershipInline]


@admin.register(OrganisationMembership)
class OrganisationMembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "user",
        "organisation",
        "job_title",
        "is_authorised_signatory",
        "is_law_enforcement_officer",
    ]
    list_filter = ["is_authorised_signatory", "is_law_enforcement_officer"]
    search_fields = ["user__email", "user__full_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    list_select_related = ["user", "organisation"]
    readonly_fields = ["created_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "user", "hint", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__email", "hint"]
    readonly_fields = [
        "code",
        "user",
        "name",
        "token_hash",
        "hint",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        # Tokens are created by their owner (profile page or `manage.py api_token`): the secret is shown once.
        return False
