"""The agreements part of ``manage.py demo`` (``safepact/agreements/demo.py``): signatories, Sofielund's
covenant in force and De Hurk's Dutch confidentiality agreement awaiting one signature; idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command

from safepact.accounts.models import User
from safepact.agreements import texts
from safepact.agreements.demo import agreements_demo
from safepact.agreements.hooks import attention
from safepact.agreements.models import (
    Agreement,
    AgreementSettings,
    AgreementVersion,
    Comment,
    Kind,
    Party,
    Signature,
    Status,
)
from safepact.agreements.selectors import confidentiality_status, signing_state, today
from safepact.audit.models import AuditEvent
from safepact.partnerships import hooks
from safepact.partnerships.management.commands.demo import PARTNERSHIPS, PEOPLE
from safepact.partnerships.models import Membership, Partnership
from safepact.partnerships.selectors import active_memberships
from safepact.partnerships.services import member_set_signatory

SIGNATORIES = {
    "sofielund": {"karin", "anders", "johan", "maja", "omar"},
    "dehurk": {"sanne", "mehmet", "ruud", "dennis"},
}


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def partnership(key: str) -> Partnership:
    return Partnership.objects.get(name=PARTNERSHIPS[key]["name"])


def agreement(key: str, kind: str) -> Agreement:
    return Agreement.objects.select_related("partnership", "final_version").get(
        partnership=partnership(key), kind=kind
    )


def email(key: str) -> str:
    return PEOPLE[key][0]


def state() -> list:
    return [
        *Agreement.objects.values_list(
            "title", "status", "language", "final_sha256", "effective_from", "review_date", "expiry_date"
        ).order_by("pk"),
        *AgreementVersion.objects.values_list("agreement__title", "number", "sha256").order_by("pk"),
        *Party.objects.values_list("agreement__title", "partner__organisation__name", "required").order_by(
            "pk"
        ),
        *Signature.objects.values_list(
            "party__partner__organisation__name", "signer__email", "text_sha256"
        ).order_by("pk"),
        *Comment.objects.values_list("section", "body", "resolved_at").order_by("pk"),
        *Membership.objects.filter(is_signatory=True)
        .values_list("user__email", "partner__partnership__name")
        .order_by("pk"),
        AgreementSettings.objects.count(),
        AuditEvent.objects.count(),
    ]


def test_agreements_register_their_part_of_the_demo():
    assert agreements_demo in hooks.demo_extensions()


@pytest.mark.django_db
def test_the_demo_has_signatories_a_covenant_in_force_and_a_confidentiality_agreement_in_signing(
    fast_passwords,
):
    run_demo()

    # Signatories, marked by a coordinator through the service (audited).
    for key, people in SIGNATORIES.items():
        flagged = set(
            Membership.objects.filter(partner__partnership=partnership(key), is_signatory=True).values_list(
                "user__email", flat=True
            )
        )
        assert flagged == {email(person) for person in people}
    assert AuditEvent.objects.filter(action="partnerships.member.signatory_changed").count() == 9

    # Sofielund's covenant: drafted, commented in review, a second version, final, signed by all required.
    covenant = agreement("sofielund", Kind.COVENANT)
    assert covenant.status == Status.IN_FORCE and covenant.language == "en"
    final = covenant.final_version
    assert final.number == 2 and covenant.versions.count() == 2
    assert final.sha256 == covenant.final_sha256 == texts.sha256(final.body)
    assert "within five\nworking days" in final.body
    assert "[to be agreed: number of working days]" in covenant.versions.get(number=1).body
    assert "Sofielund safety partnership (BID Sofielund)" in final.body  # drafted from the partnership's data
    comment = Comment.objects.get(agreement=covenant)
    assert comment.section == "Governance and meetings" and comment.resolved_at is not None
    assert comment.version.number == 1
    state_ = signing_state(covenant)
    assert state_.complete and not state_.missing and len(state_.required) == 5
    assert {s.text_sha256 for s in Signature.objects.filter(agreement=covenant)} == {covenant.final_sha256}
    assert Signature.objects.filter(agreement=covenant).exclude(version=final).count() == 0
    assert (
        Party.objects.filter(agreement=covenant, required=False).count() == 2
    )  # housing company, university
    assert covenant.effective_from < today() < covenant.review_date < covenant.expiry_date
    assert (covenant.review_date - today()).days < 200  # a few months ahead
    actions = list(
        AuditEvent.objects.filter(target_code=str(covenant.code))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "agreements.agreement.created",
        "agreements.agreement.submitted",
        "agreements.agreement.finalised",
        "agreements.agreement.signing_opened",
        "agreements.agreement.in_force",
    ]

    # De Hurk's confidentiality agreement, in Dutch, waits for exactly one required party: the association.
    nda = agreement("dehurk", Kind.CONFIDENTIALITY)
    assert nda.status == Status.SIGNING and nda.language == "nl"
    assert nda.title.startswith("Geheimhoudingsovereenkomst")
    assert "## Partijen" in nda.final_version.body
    state_ = signing_state(nda)
    assert [party.partner.organisation.name for party in state_.missing] == ["Ondernemersvereniging De Hurk"]
    assert state_.required_signed == len(state_.required) - 1 == 3
    assert {s.text_sha256 for s in Signature.objects.filter(agreement=nda)} == {nda.final_sha256}
    assert nda.final_sha256 == texts.sha256(nda.final_version.body)
    # The parties section names exactly the parties.
    body = nda.final_version.body.split("## Partijen")[1].split("## ")[0]
    listed = {line[4:].split("**")[0] for line in body.splitlines() if line.startswith("- **")}
    assert listed == set(
        Party.objects.filter(agreement=nda).values_list("partner__organisation__name", flat=True)
    )

    # Ruud Janssen, who is to sign for the association, is asked to on his dashboard.
    ruud = Membership.objects.get(user__email=email("ruud"), partner__partnership=partnership("dehurk")).user
    items = attention(user=ruud, memberships=list(active_memberships(ruud).select_related("partner")))
    assert f"“{nda.title}” awaits your organisation's signature." in [
        item.text for found in items.values() for item in found
    ]

    # The parties settled every open point of the templates in their second versions.
    for settled in (covenant, nda):
        assert texts.unresolved(settled.final_version.body) == [], settled.title

    # The gate stays off: De Hurk's TLP:AMBER problem statement is not withheld from its recipients.
    assert not AgreementSettings.objects.exists()
    sanne = User.objects.get(email=email("sanne"))
    assert confidentiality_status(sanne, partnership("dehurk")).required is False


@pytest.mark.django_db
def test_running_the_demo_twice_changes_nothing_and_keeps_changes_made_by_hand(fast_passwords):
    run_demo()
    before = state()

    assert "already loaded: nothing changed" in run_demo()
    assert state() == before

    # Someone takes a signatory flag away by hand: a new run does not put it back.
    karin = Membership.objects.get(user__email=email("karin"), partner__partnership=partnership("sofielund"))
    omar = Membership.objects.get(user__email=email("omar"), partner__partnership=partnership("sofielund"))
    member_set_signatory(actor=karin.user, membership=omar, value=False, reason="Stepped down as chair.")
    changed = state()
    run_demo()
    assert state() == changed
    assert Membership.objects.get(pk=omar.pk).is_signatory is False
