"""Reads. Every selector takes the requesting user and starts from ``partnerships_for(user)``."""

from functools import cache
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from safepact.accounts.models import Organisation, OrganisationMembership
from safepact.accounts.selectors import organisation_list_for_user_memberships
from safepact.lib.rows import ModelColumns, fetch_one, load_row
from safepact.partnerships import hooks
from safepact.partnerships.models import (
    Invitation,
    Membership,
    MembershipStatus,
    Partner,
    Partnership,
    PartnerStatus,
    Role,
)
from safepact.partnerships.permissions import can_manage, can_write

NOT_FOUND = _("Partnership not found.")

ACTIVE_MEMBERSHIP = Q(status=MembershipStatus.ACTIVE, partner__status=PartnerStatus.ACTIVE)


def active_memberships(user) -> QuerySet[Membership]:
    """The memberships that give ``user`` access: active, through an active partner."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Membership.objects.none()
    return Membership.objects.filter(ACTIVE_MEMBERSHIP, user=user)


def partnerships_for(user) -> QuerySet[Partnership]:
    """Every partnership ``user`` may open. Platform administrators get no special treatment."""
    return Partnership.objects.filter(pk__in=active_memberships(user).values("partner__partnership_id"))


def _with_officer_flag(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    """Each membership with ``is_law_enforcement_officer``: whether platform staff flagged the person as a
    law-enforcement officer of the organisation they take part through (``accounts``'
    ``OrganisationMembership``, set in the admin only). Apps that give police data to law enforcement read it
    (e.g. ``registry.permissions``) instead of trusting the organisation's kind alone, which whoever created
    the organisation chose."""
    return memberships.annotate(
        is_law_enforcement_officer=Exists(
            OrganisationMembership.objects.filter(
                user_id=OuterRef("user_id"),
                organisation_id=OuterRef("partner__organisation_id"),
                is_law_enforcement_officer=True,
            )
        )
    )


def membership_in(user, partnership: Partnership) -> Membership | None:
    return (
        _with_officer_flag(active_memberships(user))
        .filter(partner__partnership=partnership)
        .select_related("partner__organisation")
        .first()
    )


def _parse_code(code) -> UUID | None:
    if isinstance(code, UUID):
        return code
    try:
        return UUID(str(code))
    except (TypeError, ValueError):
        return None


_ACCESS_COLUMNS = (
    ModelColumns(Membership, "m"),
    ModelColumns(Partner, "p"),
    ModelColumns(Partnership, "s"),
    ModelColumns(Organisation, "o"),
)


@cache
def _access_sql(alias: str) -> str:
    """``get_partnership_for_user``'s query as SQL, written once per connection: the ORM took about 1 ms
    to build it on every request. It is ``_with_officer_flag(active_memberships(user))`` filtered by the
    partnership's code, with ``select_related("partner__partnership", "partner__organisation")``;
    ``partnerships/tests/test_access_sql.py`` compares the two over every status."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    membership, partner, partnership, organisation = _ACCESS_COLUMNS

    def table(model) -> str:
        return quote(model._meta.db_table)

    def col(columns, name):
        return columns.column(connection, name)

    officer = ModelColumns(OrganisationMembership, "om")
    select = ", ".join(columns.sql(connection) for columns in _ACCESS_COLUMNS)
    return (
        f"SELECT {select}, EXISTS(SELECT 1 FROM {table(OrganisationMembership)} om "  # noqa: S608
        f"WHERE {col(officer, 'user')} = {col(membership, 'user')} "
        f"AND {col(officer, 'organisation')} = {col(partner, 'organisation')} "
        f"AND {col(officer, 'is_law_enforcement_officer')} = %s) "
        f"FROM {table(Membership)} m "
        f"JOIN {table(Partner)} p ON {col(partner, 'id')} = {col(membership, 'partner')} "
        f"JOIN {table(Partnership)} s ON {col(partnership, 'id')} = {col(partner, 'partnership')} "
        f"JOIN {table(Organisation)} o ON {col(organisation, 'id')} = {col(partner, 'organisation')} "
        f"WHERE {col(membership, 'user')} = %s AND {col(membership, 'status')} = %s "
        f"AND {col(partner, 'status')} = %s AND {col(partnership, 'code')} = %s "
        f"ORDER BY {col(membership, 'id')} LIMIT 1"
    )


def _access_membership(user, code: UUID) -> Membership | None:
    """The active membership through which ``user`` opens the partnership ``code``, with its partner,
    partnership and organisation loaded and ``is_law_enforcement_officer`` set; or None."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    connection = connections[DEFAULT_DB_ALIAS]
    code_value = Partnership._meta.get_field("code").get_db_prep_value(code, connection)
    row = fetch_one(
        DEFAULT_DB_ALIAS,
        _access_sql(DEFAULT_DB_ALIAS),
        (True, user.pk, MembershipStatus.ACTIVE.value, PartnerStatus.ACTIVE.value, code_value),
    )
    if row is None:
        return None
    (membership, partner, partnership, organisation), (officer,) = load_row(connection, _ACCESS_COLUMNS, row)
    partner.partnership = partnership
    partner.organisation = organisation
    membership.partner = partner
    membership.is_law_enforcement_officer = bool(officer)
    return membership


def get_partnership_for_user(user, code, *, write: bool = False, manage: bool = False) -> Partnership:
    """The access helper: 404 for outsiders (and unknown codes alike), 403 without the role.

    ``write`` needs member or coordinator; ``manage`` needs coordinator. The caller's
    membership is attached as ``partnership.membership``.
    """
    parsed = _parse_code(code)
    membership = _access_membership(user, parsed) if parsed else None
    if membership is None:
        raise Http404(NOT_FOUND)
    partnership = membership.partner.partnership
    if manage and not can_manage(membership):
        raise PermissionDenied(_("Only coordinators of this partnership can do this."))
    if write and not can_write(membership):
        raise PermissionDenied(_("Viewers have read-only access to this partnership."))
    partnership.membership = membership
    return partnership


def partnership_list(*, user) -> QuerySet[Partnership]:
    return (
        partnerships_for(user)
        .annotate(
            active_partner_count=Count(
                "partners", filter=Q(partners__status=PartnerStatus.ACTIVE), distinct=True
            ),
        )
        .order_by("name")
    )


def dashboard_for(*, user) -> tuple[list[dict], list]:
    """My partnerships, my role in each, and what needs my attention there; and the panels other apps add
    (``hooks.register_dashboard_panel``)."""
    memberships = (
        active_memberships(user)
        .select_related("partner__partnership", "partner__organisation")
        .annotate(
            partner_total=Count(
                "partner__partnership__partners",
                filter=Q(partner__partnership__partners__status=PartnerStatus.ACTIVE),
                distinct=True,
            ),
        )
        .order_by("partner__partnership__name")
    )
    memberships = list(memberships)
    managed_ids = [m.partner.partnership_id for m in memberships if m.role == Role.COORDINATOR]
    attention: dict[int, list] = {pid: [] for pid in managed_ids}
    if managed_ids:
        from safepact.lib import clock

        now = clock.now()
        pending = (
            Invitation.objects.filter(
                partnership_id__in=managed_ids, accepted_at__isnull=True, revoked_at__isnull=True
            )
            .values("partnership_id")
            .annotate(
                open=Count("id", filter=Q(expires_at__gt=now)),
                expired=Count("id", filter=Q(expires_at__lte=now)),
            )
        )
        for row in pending:
            if row["open"]:
                attention[row["partnership_id"]].append(("invitations_open", row["open"]))
            if row["expired"]:
                attention[row["partnership_id"]].append(("invitations_expired", row["expired"]))
        waiting = (
            Partner.objects.filter(
                partnership_id__in=managed_ids, status__in=[PartnerStatus.CANDIDATE, PartnerStatus.SUSPENDED]
            )
            .values("partnership_id", "status")
            .annotate(n=Count("id"))
        )
        for row in waiting:
            attention[row["partnership_id"]].append((f"partners_{row['status']}", row["n"]))
    extra = hooks.attention_for(user=user, memberships=memberships)
    cards = [
        {
            "partnership": m.partner.partnership,
            "membership": m,
            "partner_total": m.partner_total,
            "attention": attention.get(m.partner.partnership_id, []),
            "extra_attention": extra.get(m.partner.partnership_id, []),
        }
        for m in memberships
    ]
    return cards, hooks.dashboard_panels(user=user, memberships=memberships)


def partner_list(*, user, partnership: Partnership) -> QuerySet[Partner]:
    """Partners of a partnership the caller already opened through ``get_partnership_for_user``."""
    return (
        Partner.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
        .select_related("organisation", "organisation__member_of")
        .annotate(member_count=Count("memberships", filter=Q(memberships__status=MembershipStatus.ACTIVE)))
        .order_by("organisation__name")
    )


def member_list(*, user, partnership: Partnership) -> QuerySet[Membership]:
    """Members, with ``org_signatory``: whether their organisation's own records (accounts) list them as
    authorised signatory, a hint for the coordinator who marks who signs in this partnership."""
    from safepact.accounts.models import OrganisationMembership

    listed = OrganisationMembership.objects.filter(
        user=OuterRef("user"), organisation=OuterRef("partner__organisation"), is_authorised_signatory=True
    )
    return (
        Membership.objects.filter(
            partner__partnership=partnership, partner__partnership__in=partnerships_for(user)
        )
        .annotate(org_signatory=Exists(listed))
        .select_related("user", "partner__organisation")
        .order_by("user__full_name")
    )


def invitation_list(*, user, partnership: Partnership) -> QuerySet[Invitation]:
    """Invitations are visible to coordinators only."""
    if not can_manage(getattr(partnership, "membership", None) or membership_in(user, partnership)):
        raise PermissionDenied(_("Only coordinators of this partnership can do this."))
    return Invitation.objects.filter(partnership=partnership).select_related(
        "partner__organisation", "invited_by"
    )


def get_partner_for_user(user, partnership_code, partner_code, *, manage: bool = False) -> Partner:
    partnership = get_partnership_for_user(user, partnership_code, manage=manage)
    partner = (
        Partner.objects.filter(partnership=partnership, code=_parse_code(partner_code))
        .select_related("organisation", "partnership")
        .first()
    )
    if partner is None:
        raise Http404(_("Partner not found."))
    partner.partnership.membership = partnership.membership
    return partner


def get_membership_for_user(user, partnership_code, membership_code, *, manage: bool = False) -> Membership:
    partnership = get_partnership_for_user(user, partnership_code, manage=manage)
    membership = (
        Membership.objects.filter(partner__partnership=partnership, code=_parse_code(membership_code))
        .select_related("user", "partner__organisation", "partner__partnership")
        .first()
    )
    if membership is None:
        raise Http404(_("Member not found."))
    membership.partner.partnership.membership = partnership.membership
    return membership


def get_invitation_for_user(user, partnership_code, invitation_code) -> Invitation:
    partnership = get_partnership_for_user(user, partnership_code, manage=True)
    invitation = (
        Invitation.objects.filter(partnership=partnership, code=_parse_code(invitation_code))
        .select_related("partner__organisation", "partnership")
        .first()
    )
    if invitation is None:
        raise Http404(_("Invitation not found."))
    return invitation


def organisations_visible_to(user):
    """Organisations I belong to, those that take part in my partnerships, and those registered sources
    add (``hooks.register_organisation_source``: e.g. the published partner directory)."""
    from safepact.accounts.models import Organisation

    mine = organisation_list_for_user_memberships(user=user).values("pk")
    partners = Partner.objects.filter(partnership__in=partnerships_for(user)).values("organisation_id")
    visible = Q(pk__in=mine) | Q(pk__in=partners)
    if getattr(user, "is_authenticated", False):
        for extra in hooks.organisation_sources(user):
            visible |= Q(pk__in=extra)
    return Organisation.objects.filter(visible)


def get_organisation_for_user(user, code):
    organisation = (
        organisations_visible_to(user).filter(code=_parse_code(code)).select_related("member_of").first()
    )
    if organisation is None:
        raise Http404(_("Organisation not found."))
    return organisation


def invitation_open_list(*, user, partnership: Partnership) -> QuerySet[Invitation]:
    """Invitations neither accepted nor revoked (pending and expired): coordinators only."""
    return invitation_list(user=user, partnership=partnership).filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    )


def invite_organisation_choices(*, user, partnership: Partnership):
    """Organisations a coordinator may invite people for: partners that are not suspended or withdrawn."""
    from safepact.accounts.models import Organisation

    partner_orgs = Partner.objects.filter(
        partnership=partnership, partnership__in=partnerships_for(user)
    ).exclude(status__in=[PartnerStatus.SUSPENDED, PartnerStatus.WITHDRAWN])
    return Organisation.objects.filter(pk__in=partner_orgs.values("organisation_id")).order_by("name")


def invitation_account_exists(*, invitation: Invitation) -> bool:
    """Whether the invited address already has an account (asked on behalf of the token holder)."""
    from safepact.accounts.models import User

    return User.objects.filter(email__iexact=invitation.email).exists()
