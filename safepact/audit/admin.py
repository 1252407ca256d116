"""The audit trail in the admin: read-only. Nobody adds, changes or deletes events (the database refuses too)."""

from django.contrib import admin

from safepact.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "chain", "seq", "action", "actor_label", "target_label", "ip")
    list_filter = ("action",)
    search_fields = ("=code", "=chain", "=partnership_code", "actor_label", "action", "=target_code")
    ordering = ("-id",)
    show_full_result_count = False
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
