"""Read-only admin for support. Every change goes through the services (and so the audit trail)."""

from django.contrib import admin

from safepact.partnerships.models import Invitation, Membership, Partner, Partnership


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Partnership)
class PartnershipAdmin(ReadOnlyAdmin):
    list_display = ("name", "country", "status", "listing", "created_at")
    list_filter = ("status", "listing", "country")
    search_fields = ("name",)
    fields = (
        "code",
        "name",
        "country",
        "region",
        "municipality",
        "status",
        "listing",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields


@admin.register(Partner)
class PartnerAdmin(ReadOnlyAdmin):
    list_display = ("organisation", "partnership", "status", "joined_at")
    list_filter = ("status",)
    list_select_related = ("organisation", "partnership")
    search_fields = ("organisation__name", "partnership__name")


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "partner", "role", "status", "created_at")
    list_filter = ("role", "status")
    list_select_related = ("user", "partner__organisation", "partner__partnership")
    search_fields = ("user__email", "user__full_name", "partner__partnership__name")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("email", "partnership", "role", "created_at", "expires_at", "accepted_at", "revoked_at")
    list_filter = ("role",)
    list_select_related = ("partnership",)
    search_fields = ("email", "partnership__name")
    exclude = ("token_hash", "message")
