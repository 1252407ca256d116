"""Writes for the problem area of formation: the problem statement, its figures and briefing links.

Coordinators write, and only what they may read (TLP). The audit trail never holds the text of the
statement (every coordinator reads the trail, not every coordinator may read an AMBER or RED
statement): for the statement it records the label, the recipients and the length of the texts; for
figures of a restricted statement only the names of the fields that changed.

A briefing link is personal: the email carries the link and nothing of the statement (TLP: emails
never carry restricted text); only the SHA-256 of its token is stored.
"""

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.accounts.models import hash_token
from safepact.audit.services import audit_record
from safepact.formation.models import BriefingShare, Candidate, ProblemFigure, ProblemStatement
from safepact.formation.selectors.problem import (
    briefing_by_token,
    briefing_may_show,
    briefing_state,
    briefing_statement,
    get_figure_for_user,
    get_problem_for_user,
    recipient_organisation_choices,
    recipient_people_choices,
)
from safepact.lib import clock
from safepact.lib.tlp import RESTRICTED, TLP
from safepact.partnerships.models import Partnership
from safepact.partnerships.selectors import active_memberships, get_partnership_for_user
from safepact.partnerships.tlp import may_see

TEXT_MAX = 20000
BRIEFING_DAYS = 30
FIGURE_FIELDS = ("label", "value", "unit", "source", "as_of")


# Problem statement --------------------------------------------------------------------------------


def _statement_snapshot(statement: ProblemStatement) -> dict:
    return {
        "tlp": statement.tlp,
        "recipient_organisations": sorted(o.name for o in statement.recipient_organisations.all()),
        "recipient_people": sorted(p.email for p in statement.recipient_people.all()),
        "nature_characters": len(statement.nature),
        "causes_characters": len(statement.causes),
    }


def _new_statement(actor, partnership: Partnership) -> ProblemStatement:
    return ProblemStatement(partnership=partnership, created_by=actor, tlp=TLP.GREEN)


def _actor_organisation_ids(actor, partnership: Partnership) -> set[int]:
    return set(
        active_memberships(actor)
        .filter(partner__partnership=partnership)
        .values_list("partner__organisation_id", flat=True)
    )


@transaction.atomic
def problem_statement_update(
    *,
    actor,
    partnership: Partnership,
    nature: str,
    causes: str,
    tlp: str,
    recipient_organisations=(),
    recipient_people=(),
) -> ProblemStatement:
    """Write the nature and causes of the problem and its TLP label with recipients (coordinators).

    AMBER and AMBER+STRICT need recipient organisations (partners or candidates of the partnership);
    RED needs recipient people (active members). A coordinator cannot lock themselves out.
    """
    view = get_problem_for_user(actor, partnership.code, manage=True)
    partnership = view.partnership
    if view.statement is not None:
        statement = ProblemStatement.objects.select_for_update().get(pk=view.statement.pk)
        before = _statement_snapshot(statement)
    else:
        statement, before = _new_statement(actor, partnership), None
    nature, causes = (nature or "").strip(), (causes or "").strip()
    organisations, people = list(recipient_organisations or []), list(recipient_people or [])
    errors = {}
    for name, value in (("nature", nature), ("causes", causes)):
        if len(value) > TEXT_MAX:
            errors[name] = _("Keep this under %(max)s characters.") % {"max": TEXT_MAX}
    if tlp not in TLP.values:
        errors["tlp"] = _("Choose a TLP label: clear, green, amber, amber+strict or red.")
    label = TLP(tlp) if tlp in TLP.values else None
    if label in (TLP.AMBER, TLP.AMBER_STRICT):
        allowed = set(
            recipient_organisation_choices(user=actor, partnership=partnership).values_list("pk", flat=True)
        )
        if not organisations:
            errors["recipient_organisations"] = _(
                "Name at least one recipient organisation for %(label)s."
            ) % {"label": label.label}
        elif any(o.pk not in allowed for o in organisations):
            errors["recipient_organisations"] = _(
                "Recipient organisations must be partners or candidates of this partnership."
            )
        elif statement.created_by_id != actor.pk and not _actor_organisation_ids(actor, partnership) & {
            o.pk for o in organisations
        }:
            errors["recipient_organisations"] = _(
                "Include your own organisation, or you could no longer read the statement."
            )
    if label == TLP.RED:
        allowed = set(
            recipient_people_choices(user=actor, partnership=partnership).values_list("pk", flat=True)
        )
        if not people:
            errors["recipient_people"] = _("Name at least one recipient person for TLP:RED.")
        elif any(p.pk not in allowed for p in people):
            errors["recipient_people"] = _("Recipient people must be active members of this partnership.")
        elif statement.created_by_id != actor.pk and all(p.pk != actor.pk for p in people):
            errors["recipient_people"] = _("Include yourself, or you could no longer read the statement.")
    if errors:
        raise ValidationError(errors)
    statement.nature, statement.causes, statement.tlp = nature, causes, label.value
    statement.updated_at, statement.updated_by = clock.now(), actor
    statement.full_clean(exclude=["partnership"])
    statement.save()
    statement.recipient_organisations.set(organisations if label in (TLP.AMBER, TLP.AMBER_STRICT) else [])
    statement.recipient_people.set(people if label == TLP.RED else [])
    after = _statement_snapshot(statement)
    if before != after or before is None:
        audit_record(
            actor=actor,
            action="formation.problem.updated",
            target=statement,
            partnership=partnership,
            before=before,
            after=after,
        )
    if not may_see(actor, statement):  # re-check: the writer stays within scope
        raise ValidationError({"tlp": _("With this label you could no longer read the statement.")})
    return statement


# Figures -------------------------------------------------------------------------------------------


def _figure_snapshot(figure: ProblemFigure, names=FIGURE_FIELDS) -> dict:
    values = {}
    for name in names:
        value = getattr(figure, name)
        values[name] = (
            value.isoformat() if isinstance(value, date) else str(value) if name == "value" else value
        )
    return values


def _audit_values(statement: ProblemStatement, before: dict | None, after: dict | None):
    """Full values for CLEAR and GREEN statements; for restricted ones only the names of the fields."""
    if TLP(statement.tlp) not in RESTRICTED:
        return before, after
    names = sorted(set(before or {}) | set(after or {}))
    return None, {"fields": names, "withheld": TLP(statement.tlp).label}


def _clean_figure_values(values: dict) -> dict:
    errors = {}
    cleaned = {}
    for name in ("label", "unit", "source"):
        if name in values:
            cleaned[name] = (values[name] or "").strip()
    if "value" in values:
        raw = values["value"]
        try:
            number = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip().replace(",", "."))
            if not number.is_finite():
                raise InvalidOperation
            cleaned["value"] = number
        except (InvalidOperation, ValueError, TypeError):
            errors["value"] = _("Enter a number, for example 1250 or 12.5.")
    if "as_of" in values:
        as_of = values["as_of"]
        if not isinstance(as_of, date):
            errors["as_of"] = _("Enter the date of the figure.")
        elif as_of > clock.today():
            errors["as_of"] = _("The date of a figure cannot be in the future.")
        else:
            cleaned["as_of"] = as_of
    if errors:
        raise ValidationError(errors)
    return cleaned


def _renumber(statement: ProblemStatement, ordered: list[ProblemFigure]) -> None:
    for i, figure in enumerate(ordered, start=1):
        figure.position = i
    ProblemFigure.objects.bulk_update(ordered, ["position"])


@transaction.atomic
def problem_figure_add(
    *, actor, partnership: Partnership, label: str, value, source: str, as_of, unit: str = ""
) -> ProblemFigure:
    """Add a figure of the scale of the problem, at the end (coordinators). Starts a statement if none exists."""
    view = get_problem_for_user(actor, partnership.code, manage=True)
    partnership = view.partnership
    cleaned = _clean_figure_values(
        {"label": label, "value": value, "unit": unit, "source": source, "as_of": as_of}
    )
    statement = view.statement
    if statement is None:
        statement = _new_statement(actor, partnership)
        statement.updated_by = actor
        statement.save()
        audit_record(
            actor=actor,
            action="formation.problem.updated",
            target=statement,
            partnership=partnership,
            after=_statement_snapshot(statement),
        )
    else:
        statement = ProblemStatement.objects.select_for_update().get(pk=statement.pk)
    last = statement.figures.aggregate(last=Max("position"))["last"] or 0
    figure = ProblemFigure(statement=statement, position=last + 1, **cleaned)
    figure.full_clean(exclude=["statement"])
    figure.save()
    before, after = _audit_values(statement, None, _figure_snapshot(figure))
    audit_record(
        actor=actor,
        action="formation.problem_figure.added",
        target=figure,
        partnership=partnership,
        before=before,
        after=after,
    )
    return figure


@transaction.atomic
def problem_figure_change(
    *, actor, figure: ProblemFigure, position: int | None = None, **changes
) -> ProblemFigure:
    """Change a figure's fields and/or move it to ``position`` (1 = first) (coordinators)."""
    unknown = set(changes) - set(FIGURE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown field: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    figure = get_figure_for_user(actor, figure.statement.partnership.code, figure.code)
    partnership = figure.statement.partnership
    statement = ProblemStatement.objects.select_for_update().get(pk=figure.statement_id)
    figure = ProblemFigure.objects.get(pk=figure.pk)
    if position is not None and (isinstance(position, bool) or not isinstance(position, int) or position < 1):
        raise ValidationError({"position": _("The position is a whole number from 1.")})
    cleaned = _clean_figure_values(changes)
    names = [n for n in FIGURE_FIELDS if n in cleaned]
    before = _figure_snapshot(figure, names)
    old_position = figure.position
    for name, value in cleaned.items():
        setattr(figure, name, value)
    figure.full_clean(exclude=["statement"])
    figure.save()
    after = _figure_snapshot(figure, names)
    if position is not None:
        ordered = [f for f in statement.figures.order_by("position", "id") if f.pk != figure.pk]
        ordered.insert(min(position, len(ordered) + 1) - 1, figure)
        _renumber(statement, ordered)
        figure.position = next(f.position for f in ordered if f.pk == figure.pk)
        if figure.position != old_position:
            before["position"], after["position"] = old_position, figure.position
    changed = {k for k in after if before.get(k) != after[k]}
    if changed:
        b, a = _audit_values(
            statement, {k: before[k] for k in changed}, {k: after[k] for k in sorted(changed)}
        )
        audit_record(
            actor=actor,
            action="formation.problem_figure.changed",
            target=figure,
            partnership=partnership,
            before=b,
            after=a,
        )
    return figure


@transaction.atomic
def problem_figure_remove(*, actor, figure: ProblemFigure) -> None:
    figure = get_figure_for_user(actor, figure.statement.partnership.code, figure.code)
    partnership = figure.statement.partnership
    statement = ProblemStatement.objects.select_for_update().get(pk=figure.statement_id)
    before, after = _audit_values(statement, _figure_snapshot(figure), None)
    audit_record(
        actor=actor,
        action="formation.problem_figure.removed",
        target=figure,
        partnership=partnership,
        before=before,
        after=after,
    )
    figure.delete()
    _renumber(statement, list(statement.figures.order_by("position", "id")))


# Briefings -----------------------------------------------------------------------------------------


def briefing_url(token: str) -> str:
    return settings.SITE_URL + reverse("formation:briefing", kwargs={"token": token})


def _send_briefing_email(share: BriefingShare, token: str, language: str) -> None:
    with translation.override(language):
        partnership = share.candidate.partnership
        context = {
            "share": share,
            "partnership": partnership,
            "organisation": share.candidate.organisation,
            "sender": share.created_by,
            "url": briefing_url(token),
        }
        subject = _("Briefing from %(partnership)s on SafePact") % {"partnership": partnership.name}
        body = render_to_string("formation/problem/email/briefing.txt", context)
    send_mail(subject, body, None, [share.email])


@transaction.atomic
def briefing_share_create(*, actor, candidate: Candidate, email: str) -> tuple[BriefingShare, str]:
    """Email a personal briefing link to a candidate partner (coordinators). Returns the share and its secret."""
    partnership = get_partnership_for_user(actor, candidate.partnership.code, manage=True)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    candidate = Candidate.objects.select_related("organisation").get(pk=candidate.pk, partnership=partnership)
    token = secrets.token_urlsafe(32)
    share = BriefingShare(
        candidate=candidate,
        token_hash=hash_token(token),
        email=email,
        created_by=actor,
        expires_at=clock.now() + timedelta(days=BRIEFING_DAYS),
    )
    share.full_clean(exclude=["token_hash", "candidate"])
    share.save()
    candidate.partnership = partnership
    audit_record(
        actor=actor,
        action="formation.briefing.sent",
        target=share,
        partnership=partnership,
        after={"candidate": candidate.organisation.name, "email": email, "expires_at": share.expires_at},
    )
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(lambda: _send_briefing_email(share, token, language))
    return share, token


@transaction.atomic
def briefing_share_revoke(*, actor, share: BriefingShare) -> BriefingShare:
    partnership = get_partnership_for_user(actor, share.candidate.partnership.code, manage=True)
    share = (
        BriefingShare.objects.select_for_update().select_related("candidate__organisation").get(pk=share.pk)
    )
    if share.revoked_at is not None:
        raise ValidationError(_("This briefing link is already revoked."))
    share.revoked_at = clock.now()
    share.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="formation.briefing.revoked",
        target=share,
        partnership=partnership,
        before={"state": "open"},
        after={"state": "revoked", "candidate": share.candidate.organisation.name, "email": share.email},
    )
    return share


@dataclass
class Briefing:
    """What a briefing link shows. ``state``: open, expired, revoked or unknown."""

    state: str
    share: BriefingShare | None = None
    statement: ProblemStatement | None = None
    shown: bool = False
    figures: list = field(default_factory=list)

    @property
    def partnership(self):
        return self.share.candidate.partnership if self.share else None

    @property
    def label(self) -> TLP | None:
        return TLP(self.statement.tlp) if self.statement else None


@transaction.atomic
def briefing_open(*, token: str) -> Briefing:
    """Open a briefing link: record the view (``last_viewed_at``), and a disclosure of restricted content
    in the audit trail. The token is the credential; no login is needed."""
    share = briefing_by_token(token)
    state = briefing_state(share)
    if state != "open":
        return Briefing(state=state, share=share)
    BriefingShare.objects.select_for_update().filter(pk=share.pk).update(last_viewed_at=clock.now())
    statement = briefing_statement(share)
    shown = briefing_may_show(statement, share.candidate.organisation_id)
    briefing = Briefing(
        state=state,
        share=share,
        statement=statement,
        shown=shown,
        figures=list(statement.figures.all()) if shown else [],
    )
    if shown and TLP(statement.tlp) in RESTRICTED:
        audit_record(
            actor=None,
            actor_label=share.email,
            action="formation.briefing.viewed",
            target=share,
            partnership=share.candidate.partnership,
            after={
                "candidate": share.candidate.organisation.name,
                "email": share.email,
                "tlp": statement.tlp,
                "figures": len(briefing.figures),
            },
        )
    return briefing


def register() -> None:
    from safepact.audit.selectors import register_action_labels

    register_action_labels(
        actions={
            "formation.problem.updated": gettext_lazy("Problem statement changed"),
            "formation.problem_figure.added": gettext_lazy("Figure of the problem added"),
            "formation.problem_figure.changed": gettext_lazy("Figure of the problem changed"),
            "formation.problem_figure.removed": gettext_lazy("Figure of the problem removed"),
            "formation.briefing.sent": gettext_lazy("Briefing link sent"),
            "formation.briefing.revoked": gettext_lazy("Briefing link revoked"),
            "formation.briefing.viewed": gettext_lazy("Briefing viewed by a candidate"),
        },
        prefixes={
            "formation.problem": gettext_lazy("Problem statement"),
            "formation.problem_figure": gettext_lazy("Figures of the problem"),
            "formation.briefing": gettext_lazy("Briefings"),
        },
    )
