"""Two people acting on one agreement at the same moment: the row lock serialises them, and the second one
acts on what the first one left (it never enters into force twice, never opens a text returned to draft).

Only PostgreSQL runs the two transactions truly side by side (SQLite serialises writers up front).
"""

import threading
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from safepact.agreements import services, texts
from safepact.agreements.models import Signature, Status
from safepact.agreements.tests import support
from safepact.audit.models import AuditEvent

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
)

HOLD = 1.5  # seconds the first transaction stays open after its write


def race(first, second) -> dict:
    """Run ``first`` in a transaction held open for ``HOLD`` seconds after it wrote; ``second`` starts once
    ``first`` wrote (so it must wait for the lock). Returns ``{"first": result, "second": result}``, a
    result being the return value or the name of the refusal (ValidationError / PermissionDenied)."""
    wrote, errors, outcome = threading.Event(), [], {}

    def run_first() -> None:
        try:
            with transaction.atomic():
                outcome["first"] = first()
                wrote.set()
                threading.Event().wait(HOLD)
        except (ValidationError, PermissionDenied) as exc:
            outcome["first"] = type(exc).__name__
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            wrote.set()
            connection.close()

    def run_second() -> None:
        try:
            wrote.wait(10)
            outcome["second"] = second()
        except (ValidationError, PermissionDenied) as exc:
            outcome["second"] = type(exc).__name__
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return outcome


def events(action: str, agreement) -> int:
    return AuditEvent.objects.filter(action=action, target_code=str(agreement.code)).count()


def signed_events(agreement) -> int:
    codes = [
        str(code) for code in Signature.objects.filter(agreement=agreement).values_list("code", flat=True)
    ]
    return AuditEvent.objects.filter(action="agreements.signature.signed", target_code__in=codes).count()


@pytest.mark.parametrize("quorum", [None, 1])
@pytest.mark.django_db(transaction=True)
def test_two_signatories_signing_at_once_bring_it_into_force_exactly_once(world, quorum):
    """``None``: both signatures are needed (the second signer completes it after waiting for the first);
    ``1``: either suffices (the first brings it into force, the second signs an agreement in force)."""
    support.signatories(world)
    agreement = support.to_signing(world, support.draft(world, quorum=quorum))

    def sign(user):
        return lambda: (
            services.agreement_sign(actor=user, agreement=support.reload(agreement), reauthenticated=True).pk
        )

    outcome = race(sign(world.coordinator), sign(world.member))
    assert isinstance(outcome["first"], int) and isinstance(outcome["second"], int)
    agreement = support.reload(agreement)
    assert agreement.status == Status.IN_FORCE
    assert Signature.objects.filter(agreement=agreement).count() == 2
    assert events("agreements.agreement.in_force", agreement) == 1
    assert signed_events(agreement) == 2


@pytest.mark.django_db(transaction=True)
def test_the_same_organisation_signing_twice_at_once_signs_once(world):
    support.signatories(world)
    agreement = support.to_signing(world, support.draft(world))

    def sign():
        return services.agreement_sign(
            actor=world.member, agreement=support.reload(agreement), reauthenticated=True
        ).pk

    outcome = race(sign, sign)
    assert outcome["second"] == "ValidationError"
    assert Signature.objects.filter(agreement=agreement).count() == 1
    assert signed_events(agreement) == 1


@pytest.mark.django_db(transaction=True)
def test_opening_signing_while_another_coordinator_returns_it_to_draft(world):
    agreement = support.draft(world)
    services.agreement_finalise(actor=world.coordinator, agreement=support.reload(agreement))
    outcome = race(
        lambda: services.agreement_open_signing(actor=world.coordinator, agreement=support.reload(agreement)),
        lambda: services.agreement_return_to_draft(
            actor=world.coordinator, agreement=support.reload(agreement), reason="Not yet"
        ),
    )
    assert outcome["second"] == "ValidationError"
    agreement = support.reload(agreement)
    assert agreement.status == Status.SIGNING and agreement.final_sha256


@pytest.mark.django_db(transaction=True)
def test_returning_to_draft_while_another_coordinator_opens_signing(world):
    agreement = support.draft(world)
    services.agreement_finalise(actor=world.coordinator, agreement=support.reload(agreement))
    outcome = race(
        lambda: services.agreement_return_to_draft(
            actor=world.coordinator, agreement=support.reload(agreement), reason="Not yet"
        ),
        lambda: services.agreement_open_signing(actor=world.coordinator, agreement=support.reload(agreement)),
    )
    assert outcome["second"] == "ValidationError"
    agreement = support.reload(agreement)
    assert (
        agreement.status == Status.DRAFT and agreement.final_sha256 == "" and agreement.final_version is None
    )


@pytest.mark.django_db(transaction=True)
def test_finalising_while_a_version_is_saved_freezes_the_saved_version(world):
    agreement = support.draft(world)
    body = agreement.versions.get().body + "\nA sentence added at the last moment.\n"
    outcome = race(
        lambda: (
            services.version_save(actor=world.coordinator, agreement=support.reload(agreement), body=body)[
                0
            ].number
        ),
        lambda: services.agreement_finalise(actor=world.coordinator, agreement=support.reload(agreement)).pk,
    )
    assert outcome["first"] == 2
    agreement = support.reload(agreement)
    assert agreement.status == Status.FINAL
    assert agreement.final_version.number == 2 and agreement.final_sha256 == texts.sha256(body)


@pytest.mark.django_db(transaction=True)
def test_two_successors_opened_for_signature_at_once_only_one_opens(world):
    old = support.in_force(world)
    first = support.draft(world, supersedes=old, title="Covenant, second edition")
    rival = support.draft(world, supersedes=old, title="Covenant, rival edition")
    for agreement in (first, rival):
        services.agreement_finalise(actor=world.coordinator, agreement=support.reload(agreement))
    outcome = race(
        lambda: services.agreement_open_signing(actor=world.coordinator, agreement=support.reload(first)).pk,
        lambda: services.agreement_open_signing(actor=world.coordinator, agreement=support.reload(rival)).pk,
    )
    assert outcome == {"first": first.pk, "second": "ValidationError"}
    assert support.reload(first).status == Status.SIGNING
    assert support.reload(rival).status == Status.FINAL


@pytest.mark.django_db(transaction=True)
def test_a_second_run_of_the_daily_job_skips_what_the_first_is_expiring(world):
    agreement = support.in_force(world, effective_from=date(2024, 1, 1), expiry_date=date(2024, 12, 31))
    on = date(2025, 1, 1)
    outcome = race(
        lambda: services.agreement_expire(agreement=agreement, on=on).status,
        lambda: services.expire_due(on=on),
    )
    assert outcome == {"first": Status.EXPIRED, "second": 0}
    assert support.reload(agreement).status == Status.EXPIRED
    assert events("agreements.agreement.expired", agreement) == 1
