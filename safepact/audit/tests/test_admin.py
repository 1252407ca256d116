"""The admin shows audit events read-only: no add, change or delete."""

import pytest
from django.urls import reverse

from conftest import make_user
from safepact.audit.models import AuditEvent


@pytest.fixture
def admin_client_(client, world):
    admin = make_user("admin@safepact.example", "Ada Admin")
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin)
    return client


def test_list_and_detail_are_read_only(admin_client_, world):
    event = AuditEvent.objects.filter(chain=str(world.partnership_a.code)).first()
    listing = admin_client_.get(reverse("admin:audit_auditevent_changelist"))
    assert listing.status_code == 200
    assert "delete_selected" not in listing.content.decode()
    detail = admin_client_.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert event.action in detail.content.decode()


def test_add_change_delete_are_refused(admin_client_, world):
    event = AuditEvent.objects.filter(chain=str(world.partnership_a.code)).first()
    assert admin_client_.get(reverse("admin:audit_auditevent_add")).status_code == 403
    response = admin_client_.post(
        reverse("admin:audit_auditevent_change", args=[event.pk]), {"reason": "rewritten"}
    )
    assert response.status_code == 403
    assert admin_client_.get(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    event.refresh_from_db()
    assert event.reason != "rewritten"


def test_members_cannot_open_the_admin(client_for, world):
    response = client_for(world.coordinator).get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == 302
