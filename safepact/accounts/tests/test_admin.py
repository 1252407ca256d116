"""Changes made in the Django admin are recorded in the hash-chained audit trail."""

import pytest
from django.urls import reverse

from safepact.accounts.models import OrganisationMembership
from safepact.audit.chain import verify
from safepact.audit.models import AuditEvent


@pytest.fixture
def admin_client_for(client, world):
    admin = world.outsider
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin)
    return client


def test_flagging_a_law_enforcement_officer_in_the_admin_is_audited(admin_client_for, world):
    membership = OrganisationMembership.objects.get(user=world.member, organisation=world.org_city_a)
    url = reverse("admin:accounts_organisationmembership_change", args=[membership.pk])
    response = admin_client_for.post(
        url,
        {
            "user": world.member.pk,
            "organisation": world.org_city_a.pk,
            "job_title": "Safety officer",
            "is_law_enforcement_officer": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    event = AuditEvent.objects.get(action="admin.organisationmembership.changed")
    assert event.actor_label == world.outsider.email
    assert event.after == {"job_title": "Safety officer", "is_law_enforcement_officer": True}
    assert event.reason == "Django admin"
    assert verify(e.chain_fields() for e in AuditEvent.objects.all()) == []


def test_deleting_in_the_admin_is_audited_and_passwords_never_recorded(admin_client_for, world):
    url = reverse("admin:auth_user_password_change", args=[world.viewer.pk])
    new = "an-entirely-new-passphrase-42"
    response = admin_client_for.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 302
    for event in AuditEvent.objects.filter(action__startswith="admin."):
        assert new not in str(event.after)
    membership = OrganisationMembership.objects.get(user=world.viewer)
    url = reverse("admin:accounts_organisationmembership_delete", args=[membership.pk])
    assert admin_client_for.post(url, {"post": "yes"}).status_code == 302
    assert AuditEvent.objects.filter(action="admin.organisationmembership.deleted").count() == 1
