"""Reminders of review and expiry dates: the daily job (``agreement_reminders``: expiry, emails once, in the
coordinator's language), the dashboard's attention items and the overview's notices (``hooks``).

The clock is frozen at ``NOW`` (after the ``world`` fixture was made, so every audit chain reads forward)
and moved with ``clock.advance``.
"""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_org, make_user
from safepact.agreements import services
from safepact.agreements.hooks import attention, notices
from safepact.agreements.models import Agreement, Kind, ReminderSent, Status
from safepact.agreements.tests.support import draft, in_force, reload, sign, signatories, to_signing
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.partnerships.models import Membership
from safepact.partnerships.selectors import active_memberships
from safepact.partnerships.services import member_set_signatory, partnership_create

NOW = datetime(2031, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2031, 3, 2)
TEXT_OF_THE_AGREEMENT = "Purpose and mission"  # a heading of the covenant's text: never in an email


@pytest.fixture
def frozen():
    with clock.frozen(NOW):
        yield


def run() -> str:
    out = StringIO()
    call_command("agreement_reminders", stdout=out)
    return out.getvalue()


def detail_url(agreement) -> str:
    return reverse(
        "agreements:detail", kwargs={"code": agreement.partnership.code, "agreement_code": agreement.code}
    )


def dashboard_texts(client) -> list[str]:
    response = client.get(reverse("partnerships:dashboard"))
    assert response.status_code == 200
    return [item["text"] for card in response.context["cards"] for item in card["attention_items"]]


def overview(client, world):
    response = client.get(reverse("partnerships:overview", kwargs={"code": world.partnership_a.code}))
    assert response.status_code == 200
    return response


# Review date near --------------------------------------------------------------------------------


def test_dashboard_shows_a_review_date_near_to_coordinators_only(world, frozen, client_for):
    agreement = in_force(world, review_date=TODAY + timedelta(days=20))

    texts = dashboard_texts(client_for(world.coordinator))
    expected = f"“{agreement.title}” is due for review on March 22, 2031 (in 20 days)."
    assert expected in texts
    page = client_for(world.coordinator).get(reverse("partnerships:dashboard")).content.decode()
    assert f'href="{detail_url(agreement)}"' in page

    for persona in ("member", "viewer"):
        assert not any(
            "due for review" in text for text in dashboard_texts(client_for(getattr(world, persona)))
        )


def test_the_review_reminder_is_emailed_once(world, frozen):
    agreement = in_force(world, review_date=TODAY + timedelta(days=20))

    output = run()

    assert "Reminders sent: 1 (1 emails)" in output
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.coordinator.email]  # the partnership's only coordinator; not the member
    assert agreement.title in message.subject
    assert f"“{agreement.title}”" in message.body
    assert "March 22, 2031" in message.body
    assert settings.SITE_URL + detail_url(agreement) in message.body
    assert TEXT_OF_THE_AGREEMENT not in message.body
    assert agreement.final_sha256 not in message.body
    row = ReminderSent.objects.get()
    assert (row.agreement_id, row.kind, row.due, row.recipients) == (
        agreement.pk,
        "review",
        date(2031, 3, 22),
        1,
    )
    assert (
        AuditEvent.objects.filter(action="agreements.reminder.sent", target_code=str(agreement.code)).count()
        == 1
    )

    clock.advance(timedelta(days=1))
    output = run()

    assert "Reminders sent: 0 (0 emails); already sent before: 1." in output
    assert len(mail.outbox) == 1
    assert ReminderSent.objects.count() == 1
    assert AuditEvent.objects.filter(action="agreements.reminder.sent").count() == 1


def test_every_active_coordinator_gets_it_in_their_own_language(world, frozen):
    agreement = in_force(world, review_date=TODAY + timedelta(days=20))
    dutch = make_user("coordinator@gemeente-malmo.example", "Dirk Dubbel", language="nl")
    member = Membership.objects.create(
        partner=world.membership_member.partner, user=dutch, role="coordinator"
    )
    suspended = make_user("former@polisen.example", "Former Coordinator")
    Membership.objects.create(
        partner=world.membership_member.partner, user=suspended, role="coordinator", status="suspended"
    )

    run()

    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {world.coordinator.email, dutch.email}
    assert "22 maart 2031" in by_address[dutch.email].body
    assert "March" not in by_address[dutch.email].body
    assert "March 22, 2031" in by_address[world.coordinator.email].body
    assert agreement.title in by_address[dutch.email].body
    assert ReminderSent.objects.get().recipients == 2
    assert member.user.language == "nl"


def test_the_notice_days_setting_decides_what_is_due(world, frozen, client_for):
    agreement = in_force(world, review_date=TODAY + timedelta(days=40))

    assert run().startswith("Agreements marked expired: 0. Reminders sent: 0")
    assert not any(agreement.title in text for text in dashboard_texts(client_for(world.coordinator)))

    services.agreement_settings_update(
        actor=world.coordinator, partnership=world.partnership_a, review_notice_days=45
    )

    assert any(
        text.startswith(f"“{agreement.title}” is due for review")
        for text in dashboard_texts(client_for(world.coordinator))
    )
    assert "Reminders sent: 1 (1 emails)" in run()
    assert ReminderSent.objects.get().kind == "review"


# Expiry --------------------------------------------------------------------------------------------


def test_when_the_expiry_date_passes_the_job_marks_it_expired_and_the_partnership_shows_it(
    world, frozen, client_for
):
    agreement = in_force(world, expiry_date=TODAY + timedelta(days=10))
    notice = f"“{agreement.title}” expired on March 12, 2031"
    assert notice not in overview(client_for(world.member), world).content.decode()

    run()  # within the 60 days' notice: the coordinator hears that it will expire
    assert [message.subject for message in mail.outbox] == [f"Expiry date near: {agreement.title}"]
    assert "March 12, 2031" in mail.outbox[0].body
    assert reload(agreement).status == Status.IN_FORCE

    clock.advance(timedelta(days=11))
    output = run()

    assert "Agreements marked expired: 1." in output
    agreement = reload(agreement)
    assert agreement.status == Status.EXPIRED
    assert agreement.ended_at == NOW + timedelta(days=11)
    event = AuditEvent.objects.get(action="agreements.agreement.expired")
    assert event.target_code == str(agreement.code)
    assert event.before == {"status": "in_force"}
    assert event.after == {"status": "expired", "expiry_date": "2031-03-12"}
    assert event.actor_label == "safepact"
    assert [message.subject for message in mail.outbox][1:] == [f"Agreement expired: {agreement.title}"]
    assert "March 12, 2031" in mail.outbox[1].body

    for persona in ("member", "viewer", "coordinator"):  # the partnership's state changes for everyone
        body = overview(client_for(getattr(world, persona)), world).content.decode()
        assert notice in body
        assert 'class="notice notice-error" role="alert"' in body
        assert f'href="{detail_url(agreement)}"' in body
    assert any(
        text.startswith(f"“{agreement.title}” expired on")
        for text in dashboard_texts(client_for(world.coordinator))
    )

    assert "Agreements marked expired: 0. Reminders sent: 0" in run()  # nothing twice
    assert len(mail.outbox) == 2


def test_the_overview_notice_shows_before_the_job_ran(world, frozen, client_for):
    """Past its expiry date the agreement no longer counts, whether or not the daily job ran yet."""
    agreement = in_force(world, expiry_date=TODAY + timedelta(days=10))
    clock.advance(timedelta(days=11))
    assert reload(agreement).status == Status.IN_FORCE
    assert (
        f"“{agreement.title}” expired on March 12, 2031"
        in overview(client_for(world.member), world).content.decode()
    )


def test_a_renewed_agreement_ends_the_notice_and_the_attention_item(world, frozen, client_for):
    old = in_force(world, expiry_date=TODAY + timedelta(days=10), title="Covenant 2030")
    clock.advance(timedelta(days=11))
    run()
    assert reload(old).status == Status.EXPIRED
    assert notices(user=world.member, partnership=world.partnership_a)

    clock.advance(timedelta(days=1))
    new = to_signing(world, draft(world, title="Covenant 2031"))
    sign(world.coordinator, new)
    assert sign(world.member, new).status == Status.IN_FORCE

    assert notices(user=world.member, partnership=world.partnership_a) == []
    assert not any("Covenant 2030" in text for text in dashboard_texts(client_for(world.coordinator)))
    assert (
        "expired"
        not in overview(client_for(world.member), world)
        .content.decode()
        .split("<h1>")[1]
        .split("About this partnership")[0]
    )


def test_an_expired_agreement_of_another_type_still_shows(world, frozen):
    in_force(world, Kind.CODE_OF_CONDUCT, expiry_date=TODAY + timedelta(days=10), title="Code 2030")
    clock.advance(timedelta(days=11))
    in_force(world, title="Covenant 2031")  # a covenant does not renew a code of conduct
    texts = [notice.text for notice in notices(user=world.member, partnership=world.partnership_a)]
    assert texts == [
        "“Code 2030” expired on March 12, 2031: the partnership works without this agreement in force until it is renewed."
    ]


# Signatures awaited ----------------------------------------------------------------------------------


def test_a_signatory_is_asked_for_their_organisations_signature_until_it_is_given(world, frozen):
    signatories(world)
    agreement = to_signing(world, draft(world))
    waiting = f"“{agreement.title}” awaits your organisation's signature."

    def texts(user):
        items = attention(user=user, memberships=list(active_memberships(user).select_related("partner")))
        return [item.text for found in items.values() for item in found]

    assert waiting in texts(world.member)
    assert waiting in texts(world.coordinator)
    sign(world.member, agreement)
    assert waiting not in texts(world.member)
    assert waiting in texts(world.coordinator)
    # a viewer cannot sign (signing writes), so is not asked even when flagged
    member_set_signatory(actor=world.coordinator, membership=world.membership_viewer, value=True)
    assert waiting not in texts(world.viewer)


# Query counts ----------------------------------------------------------------------------------------


def _busy_coordinator(n: int):
    """A coordinator of ``n`` partnerships, each with an agreement in force whose review date is near and
    one open for signature; they are the signatory of their organisation everywhere."""
    user = make_user(f"busy{n}@example.org", "Busy Coordinator")
    org = make_org(user, f"Busy org {n}", "municipality", "NL")
    for i in range(n):
        partnership = partnership_create(
            actor=user, organisation=org, name=f"Partnership {n}-{i}", purpose="Safety.", country="NL"
        )
        mine = Membership.objects.get(user=user, partner__partnership=partnership)
        member_set_signatory(actor=user, membership=mine, value=True)
        for kind, sign_it in ((Kind.COVENANT, True), (Kind.MOU, False)):
            agreement = services.agreement_create(
                actor=user, partnership=partnership, kind=kind, review_date=TODAY + timedelta(days=5)
            )
            services.agreement_finalise(actor=user, agreement=reload(agreement))
            services.agreement_open_signing(actor=user, agreement=reload(agreement))
            if sign_it:
                services.agreement_sign(actor=user, agreement=reload(agreement), reauthenticated=True)
    return user


def _dashboard_queries(client_for, user) -> tuple[int, list[str]]:
    client = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        texts = dashboard_texts(client)
    return len(queries), texts


def test_dashboard_query_count_does_not_grow_with_agreements(db, frozen, client_for):
    one, texts_one = _dashboard_queries(client_for, _busy_coordinator(1))
    four, texts_four = _dashboard_queries(client_for, _busy_coordinator(4))

    assert sum("is due for review" in text for text in texts_one) == 1
    assert sum("awaits your organisation's signature" in text for text in texts_one) == 1
    assert sum("is due for review" in text for text in texts_four) == 4
    assert sum("awaits your organisation's signature" in text for text in texts_four) == 4
    assert four == one
    assert Agreement.objects.filter(status=Status.IN_FORCE).count() == 5
