"""Two coordinators demoting each other at the same moment must not leave the partnership without one.

Only PostgreSQL runs the two transactions truly side by side (SQLite serialises writers up front).
"""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from safepact.partnerships.models import Membership, MembershipStatus, PartnerStatus, Role
from safepact.partnerships.services import member_set_role, member_set_status

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
)


def _active_coordinators(partnership):
    return Membership.objects.filter(
        partner__partnership=partnership,
        role=Role.COORDINATOR,
        status=MembershipStatus.ACTIVE,
        partner__status=PartnerStatus.ACTIVE,
    ).count()


@pytest.mark.parametrize("second", ["role", "status"])
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_demoting_each_other_leave_one(world, second):
    a = world.partnership_a
    cora = Membership.objects.get(partner__partnership=a, user=world.coordinator)
    mats = world.membership_member
    member_set_role(actor=world.coordinator, membership=mats, role=Role.COORDINATOR)
    first_done, errors, outcome = threading.Event(), [], {}

    def first() -> None:
        try:
            with transaction.atomic():
                member_set_role(actor=world.coordinator, membership=mats, role=Role.VIEWER)
                first_done.set()
                threading.Event().wait(1.5)  # hold the transaction open while the other one runs
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            first_done.set()
            connection.close()

    def other() -> None:
        try:
            first_done.wait(10)
            if second == "role":
                member_set_role(actor=world.member, membership=cora, role=Role.VIEWER)
            else:
                member_set_status(actor=world.member, membership=cora, status="suspended", reason="r")
            outcome["other"] = "done"
        except (ValidationError, PermissionDenied) as exc:
            outcome["other"] = type(exc).__name__
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert outcome["other"] != "done"
    assert _active_coordinators(a) == 1
