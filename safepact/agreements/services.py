"""Writes for agreements: drafting, the lifecycle, parties, signing, accession, withdrawal, comments,
settings, recorded exports and reminders.

Every service is keyword-only and atomic, re-checks the actor's scope inside the transaction (404/403),
locks the agreement row before it reads its state (two people acting at once cannot both move it), refuses
an invalid transition with a reason naming what is wrong, and writes an audit event in the same transaction.

The lifecycle::

    draft ⇄ in review → final → signing → in force → expired / terminated / superseded
      ↑___________________________|  (back to draft before anyone could sign)

Moving to final freezes the text: the latest version becomes ``final_version`` and its SHA-256 is
recorded; no version is saved after that. Everyone signs that hash.
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.agreements import texts
from safepact.agreements.models import (
    EDITABLE,
    Agreement,
    AgreementSettings,
    AgreementVersion,
    Comment,
    DocumentExport,
    Formality,
    Kind,
    Party,
    ReminderSent,
    Signature,
    SignatureMethod,
    Status,
)
from safepact.agreements.selectors import (
    expired_unmarked,
    latest_version,
    prefill_context,
    signatory_membership,
    signing_state,
    today,
)
from safepact.audit.selectors import register_action_labels
from safepact.audit.services import audit_record, audit_record_changes
from safepact.lib import clock
from safepact.partnerships.models import Partner, Partnership, PartnerStatus
from safepact.partnerships.selectors import get_partnership_for_user, membership_in

MAX_TEXT_LENGTH = 200_000
MAX_COMMENT_LENGTH = 5_000
METADATA_FIELDS = ("title", "formality", "quorum", "effective_from", "review_date", "expiry_date")


def register() -> None:
    from safepact.agreements import hooks

    register_action_labels(
        {
            "agreements.agreement.created": gettext_lazy("Agreement drafted"),
            "agreements.agreement.updated": gettext_lazy("Agreement details changed"),
            "agreements.agreement.submitted": gettext_lazy("Agreement sent for review"),
            "agreements.agreement.returned_to_draft": gettext_lazy("Agreement returned to draft"),
            "agreements.agreement.finalised": gettext_lazy("Agreement text made final"),
            "agreements.agreement.signing_opened": gettext_lazy("Agreement opened for signature"),
            "agreements.agreement.in_force": gettext_lazy("Agreement entered into force"),
            "agreements.agreement.terminated": gettext_lazy("Agreement terminated"),
            "agreements.agreement.expired": gettext_lazy("Agreement expired"),
            "agreements.agreement.superseded": gettext_lazy("Agreement superseded"),
            "agreements.version.saved": gettext_lazy("Agreement text saved"),
            "agreements.party.added": gettext_lazy("Party added to an agreement"),
            "agreements.party.updated": gettext_lazy("Party of an agreement changed"),
            "agreements.party.removed": gettext_lazy("Party removed from an agreement"),
            "agreements.party.acceded": gettext_lazy("Organisation acceded to an agreement"),
            "agreements.party.withdrawn": gettext_lazy("Organisation withdrew from an agreement"),
            "agreements.signature.signed": gettext_lazy("Agreement signed"),
            "agreements.comment.added": gettext_lazy("Comment on an agreement"),
            "agreements.comment.resolved": gettext_lazy("Comment on an agreement resolved"),
            "agreements.settings.changed": gettext_lazy("Agreement settings changed"),
            "agreements.document.exported": gettext_lazy("Agreement document exported"),
            "agreements.reminder.sent": gettext_lazy("Agreement reminder sent"),
        },
        {
            "agreements": gettext_lazy("Agreements"),
            "agreements.agreement": gettext_lazy("Agreements"),
            "agreements.version": gettext_lazy("Agreement texts"),
            "agreements.party": gettext_lazy("Parties"),
            "agreements.signature": gettext_lazy("Signatures"),
            "agreements.comment": gettext_lazy("Comments"),
            "agreements.settings": gettext_lazy("Agreement settings"),
            "agreements.document": gettext_lazy("Agreement documents"),
            "agreements.reminder": gettext_lazy("Agreement reminders"),
        },
    )
    hooks.register()


# Helpers -------------------------------------------------------------------------------------------


def _lock(actor, agreement: Agreement, *, write: bool = False, manage: bool = False) -> Agreement:
    """Re-check the actor's scope, then lock and re-read the agreement (its state may have moved)."""
    partnership = get_partnership_for_user(actor, agreement.partnership.code, write=write, manage=manage)
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    locked.partnership = partnership
    return locked


def _refuse(message: str, field: str = "status") -> ValidationError:
    return ValidationError({field: message})


def _transition(
    actor, agreement: Agreement, new: str, *, action: str, reason: str = "", extra: dict | None = None
):
    before = agreement.status
    agreement.status = new
    agreement.updated_at = clock.now()
    agreement.save()
    audit_record(
        actor=actor,
        action=action,
        target=agreement,
        partnership=agreement.partnership,
        before={"status": before},
        after={"status": new, **(extra or {})},
        reason=reason,
    )


def _validate_dates(values: dict) -> None:
    start, review, expiry = values.get("effective_from"), values.get("review_date"), values.get("expiry_date")
    if start and expiry and expiry <= start:
        raise ValidationError(
            {"expiry_date": _("The expiry date must be after the date it enters into force.")}
        )
    if review and expiry and review > expiry:
        raise ValidationError({"review_date": _("The review date must not be after the expiry date.")})


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the agreement a title.")})
    if len(title) > 200:
        raise ValidationError({"title": _("The title can be at most 200 characters.")})
    return title


def _clean_quorum(quorum) -> int | None:
    if quorum in (None, ""):
        return None
    try:
        quorum = int(quorum)
    except (TypeError, ValueError):
        raise ValidationError({"quorum": _("The quorum must be a whole number.")}) from None
    if quorum < 1:
        raise ValidationError(
            {"quorum": _("The quorum must be at least 1 (or empty: every required party).")}
        )
    return quorum


def _snapshot(agreement: Agreement) -> dict:
    return {
        "title": agreement.title,
        "formality": agreement.formality,
        "quorum": agreement.quorum,
        "effective_from": agreement.effective_from.isoformat() if agreement.effective_from else None,
        "review_date": agreement.review_date.isoformat() if agreement.review_date else None,
        "expiry_date": agreement.expiry_date.isoformat() if agreement.expiry_date else None,
    }


def _save_version(actor, agreement: Agreement, body: str, note: str = "") -> AgreementVersion:
    if len(body) > MAX_TEXT_LENGTH:
        raise ValidationError(
            {"body": _("The text can be at most %(max)s characters.") % {"max": f"{MAX_TEXT_LENGTH:,}"}}
        )
    if not body.strip():
        raise ValidationError({"body": _("The text is empty.")})
    if len(note) > 300:
        raise ValidationError({"note": _("The note can be at most 300 characters.")})
    last = latest_version(agreement)
    version = AgreementVersion.objects.create(
        agreement=agreement,
        number=(last.number + 1) if last else 1,
        body=texts.normalise(body),
        sha256=texts.sha256(body),
        note=note.strip(),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="agreements.version.saved",
        target=version,
        partnership=agreement.partnership,
        after={"agreement": str(agreement.code), "number": version.number, "sha256": version.sha256},
        reason=version.note,
    )
    return version


# Drafting ------------------------------------------------------------------------------------------


@transaction.atomic
def agreement_create(
    *,
    actor,
    partnership: Partnership,
    kind: str,
    formality: str = Formality.SPECIFIED,
    language: str = "en",
    title: str = "",
    partner_codes: list | None = None,
    quorum=None,
    effective_from: date | None = None,
    review_date: date | None = None,
    expiry_date: date | None = None,
    supersedes: Agreement | None = None,
) -> Agreement:
    """A new draft pre-filled from the partnership's data and the type's template (version 1).

    Parties: the given partners, or every active partner of the partnership.
    """
    partnership = get_partnership_for_user(actor, partnership.code, manage=True)
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Unknown agreement type.")})
    if formality not in Formality.values:
        raise ValidationError({"formality": _("Unknown formality level.")})
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError({"language": _("Unknown language.")})
    quorum = _clean_quorum(quorum)
    _validate_dates(
        {"effective_from": effective_from, "review_date": review_date, "expiry_date": expiry_date}
    )
    if supersedes is not None and (
        supersedes.partnership_id != partnership.pk
        or supersedes.status not in (Status.IN_FORCE, Status.SIGNING)
    ):
        raise ValidationError(
            {"supersedes": _("Only an agreement of this partnership in force can be replaced.")}
        )
    if supersedes is not None and supersedes.kind != kind:
        raise ValidationError({"supersedes": _("An agreement can only replace one of the same type.")})
    partners = Partner.objects.filter(partnership=partnership, status=PartnerStatus.ACTIVE)
    if partner_codes is not None:
        wanted = {str(code) for code in partner_codes}
        partners = [p for p in partners.select_related("organisation") if str(p.code) in wanted]
        if len(partners) != len(wanted):
            raise ValidationError(
                {"parties": _("Every party must be an active partner of this partnership.")}
            )
    else:
        partners = list(partners)
    if not partners:
        raise ValidationError({"parties": _("An agreement needs at least one party (an active partner).")})
    try:
        template = texts.get_template(kind, language)
    except texts.TemplateError as error:
        raise ValidationError(
            {"kind": _("The template for this type cannot be read: %(error)s") % {"error": error.public()}}
        ) from None
    dates = {"effective_from": effective_from, "review_date": review_date, "expiry_date": expiry_date}
    context = prefill_context(user=actor, partnership=partnership, language=language, dates=dates)
    title = _clean_title(title or texts.fill(template.title, context))
    agreement = Agreement.objects.create(
        partnership=partnership,
        kind=kind,
        formality=formality,
        language=language,
        title=title,
        quorum=quorum,
        supersedes=supersedes,
        template_source=f"{template.language}/{template.kind}.toml",
        created_by=actor,
        **dates,
    )
    Party.objects.bulk_create([Party(agreement=agreement, partner=partner) for partner in partners])
    audit_record(
        actor=actor,
        action="agreements.agreement.created",
        target=agreement,
        partnership=partnership,
        after={
            "kind": kind,
            "formality": formality,
            "language": language,
            "title": title,
            "parties": sorted(str(p.code) for p in partners),
            **_snapshot(agreement),
        },
    )
    _save_version(actor, agreement, texts.draft_text(template, context), _("Drafted from the template"))
    return agreement


@transaction.atomic
def agreement_update(*, actor, agreement: Agreement, reason: str = "", **changes) -> Agreement:
    """Title, formality, quorum and dates. While drafting: everything; afterwards only the review date."""
    unknown = set(changes) - set(METADATA_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here.")})
    agreement = _lock(actor, agreement, manage=True)
    if not agreement.is_editable:
        frozen = set(changes) - {"review_date"}
        frozen = {key for key in frozen if changes[key] != getattr(agreement, key)}
        if frozen or agreement.is_ended:
            raise _refuse(
                _("Only the review date of a final agreement can change; amend it with a new agreement."),
                sorted(frozen)[0] if frozen else "review_date",
            )
    before = _snapshot(agreement)
    if "title" in changes:
        changes["title"] = _clean_title(changes["title"])
    if "formality" in changes and changes["formality"] not in Formality.values:
        raise ValidationError({"formality": _("Unknown formality level.")})
    if "quorum" in changes:
        changes["quorum"] = _clean_quorum(changes["quorum"])
    merged = {
        key: changes.get(key, getattr(agreement, key))
        for key in ("effective_from", "review_date", "expiry_date")
    }
    _validate_dates(merged)
    for key, value in changes.items():
        setattr(agreement, key, value)
    agreement.updated_at = clock.now()
    agreement.save()
    audit_record_changes(
        actor=actor,
        action="agreements.agreement.updated",
        target=agreement,
        partnership=agreement.partnership,
        before=before,
        after=_snapshot(agreement),
        reason=reason,
    )
    return agreement


@transaction.atomic
def version_save(*, actor, agreement: Agreement, body: str, note: str = "") -> tuple[AgreementVersion, bool]:
    """Save the text as a new version (coordinators, while draft or in review).

    Returns ``(version, created)``: saving the same text again makes no new version.
    """
    agreement = _lock(actor, agreement, manage=True)
    if not agreement.is_editable:
        raise _refuse(
            _("The text is frozen: it can only change while the agreement is a draft or in review."), "body"
        )
    last = latest_version(agreement)
    if last is not None and last.sha256 == texts.sha256(body or ""):
        return last, False
    agreement.updated_at = clock.now()
    agreement.save(update_fields=["updated_at"])
    return _save_version(actor, agreement, body or "", note or ""), True


# Lifecycle -----------------------------------------------------------------------------------------


@transaction.atomic
def agreement_submit_for_review(*, actor, agreement: Agreement) -> Agreement:
    agreement = _lock(actor, agreement, manage=True)
    if agreement.status != Status.DRAFT:
        raise _refuse(
            _("Only a draft can be sent for review (this agreement is %(status)s).")
            % {"status": agreement.get_status_display()}
        )
    _transition(actor, agreement, Status.REVIEW, action="agreements.agreement.submitted")
    return agreement


@transaction.atomic
def agreement_return_to_draft(*, actor, agreement: Agreement, reason: str = "") -> Agreement:
    """Back to drafting from review, or from final before signing was opened (the freeze is undone)."""
    agreement = _lock(actor, agreement, manage=True)
    if agreement.status not in (Status.REVIEW, Status.FINAL):
        raise _refuse(
            _("Only an agreement in review or final (not yet open for signature) can go back to draft.")
        )
    extra = {}
    if agreement.status == Status.FINAL:
        extra = {"unfrozen_sha256": agreement.final_sha256}
        agreement.final_version = None
        agreement.final_sha256 = ""
        agreement.finalised_at = None
    _transition(
        actor,
        agreement,
        Status.DRAFT,
        action="agreements.agreement.returned_to_draft",
        reason=reason,
        extra=extra,
    )
    return agreement


@transaction.atomic
def agreement_finalise(*, actor, agreement: Agreement) -> Agreement:
    """Freeze the latest version: record its SHA-256. Refused (naming each problem) when a required
    section is missing or empty, when there is no party, or when the quorum exceeds the parties."""
    agreement = _lock(actor, agreement, manage=True)
    if agreement.status not in EDITABLE:
        raise _refuse(
            _("Only a draft or an agreement in review can be made final (this one is %(status)s).")
            % {"status": agreement.get_status_display()}
        )
    version = latest_version(agreement)
    if version is None:
        raise _refuse(_("There is no text to make final."), "body")
    if texts.sha256(version.body) != version.sha256:
        raise _refuse(_("The stored text does not match its hash; it cannot be made final."), "body")
    try:
        template = texts.get_template(agreement.kind, agreement.language)
    except texts.TemplateError as error:
        raise _refuse(
            _("The template for this type cannot be read: %(error)s") % {"error": error.public()}, "kind"
        ) from None
    problems = texts.check(version.body, template, agreement.formality)
    if problems:
        raise ValidationError({"body": [problem.message for problem in problems]})
    gone = sorted(
        agreement.parties.filter(required=True, withdrawn_on__isnull=True)
        .exclude(partner__status=PartnerStatus.ACTIVE)
        .values_list("partner__organisation__name", flat=True)
    )
    if gone:
        raise _refuse(
            _(
                "%(organisations)s no longer take part in the partnership and could never sign: make them "
                "optional parties or remove them."
            )
            % {"organisations": ", ".join(gone)},
            "parties",
        )
    required = agreement.parties.filter(required=True, withdrawn_on__isnull=True).count()
    if required == 0:
        raise _refuse(_("At least one party must be required to sign."), "parties")
    if agreement.quorum and agreement.quorum > required:
        raise _refuse(
            _("The quorum (%(quorum)s) is larger than the number of parties required to sign (%(parties)s).")
            % {"quorum": agreement.quorum, "parties": required},
            "quorum",
        )
    agreement.final_version = version
    agreement.final_sha256 = version.sha256
    agreement.finalised_at = clock.now()
    _transition(
        actor,
        agreement,
        Status.FINAL,
        action="agreements.agreement.finalised",
        extra={"version": version.number, "sha256": version.sha256},
    )
    return agreement


@transaction.atomic
def agreement_open_signing(*, actor, agreement: Agreement) -> Agreement:
    agreement = _lock(actor, agreement, manage=True)
    if agreement.status != Status.FINAL:
        raise _refuse(
            _("Only a final text can be opened for signature (this agreement is %(status)s).")
            % {"status": agreement.get_status_display()}
        )
    if agreement.supersedes_id:
        # Lock the agreement it replaces (after this one, the order _enter_into_force uses too), so two
        # successors opened at once are serialised and cannot both come to replace it.
        Agreement.objects.select_for_update().filter(pk=agreement.supersedes_id).first()
        rival = (
            Agreement.objects.filter(
                supersedes_id=agreement.supersedes_id, status__in=(Status.SIGNING, Status.IN_FORCE)
            )
            .exclude(pk=agreement.pk)
            .first()
        )
        if rival is not None:
            raise _refuse(
                _(
                    "“%(other)s” already replaces the same agreement and is open for signature or in force; "
                    "only one agreement can replace it."
                )
                % {"other": rival.title},
                "supersedes",
            )
    _transition(actor, agreement, Status.SIGNING, action="agreements.agreement.signing_opened")
    return agreement


def _enter_into_force(actor, agreement: Agreement) -> None:
    if not agreement.effective_from:
        agreement.effective_from = today()
    agreement.in_force_at = clock.now()
    _transition(
        actor,
        agreement,
        Status.IN_FORCE,
        action="agreements.agreement.in_force",
        extra={"sha256": agreement.final_sha256, "effective_from": agreement.effective_from.isoformat()},
    )
    replaced = agreement.supersedes
    if replaced is not None:
        replaced = Agreement.objects.select_for_update().get(pk=replaced.pk)
        if replaced.status in (Status.IN_FORCE, Status.SIGNING):
            replaced.partnership = agreement.partnership
            replaced.ended_at = clock.now()
            replaced.end_reason = _("Superseded by “%(title)s”.") % {"title": agreement.title}
            _transition(
                actor,
                replaced,
                Status.SUPERSEDED,
                action="agreements.agreement.superseded",
                extra={"by": str(agreement.code)},
            )


def _require_reauthentication(reauthenticated: bool) -> None:
    if not reauthenticated:
        raise PermissionDenied(
            _("Confirm your password (and code) before signing: signing needs re-authentication.")
        )


def _sign(actor, agreement: Agreement, party: Party, membership, method: str) -> Signature:
    version = agreement.final_version
    text_hash = texts.sha256(version.body)
    if text_hash != agreement.final_sha256 or version.sha256 != agreement.final_sha256:
        raise _refuse(_("The final text does not match its recorded hash; it cannot be signed."), "body")
    try:
        with transaction.atomic():
            signature = Signature.objects.create(
                agreement=agreement,
                version=version,
                party=party,
                signer=actor,
                signer_name=actor.full_name or actor.email,
                organisation_name=membership.partner.organisation.name,
                text_sha256=text_hash,
                method=method,
            )
    except IntegrityError:
        raise _refuse(_("Your organisation has already signed this text."), "party") from None
    audit_record(
        actor=actor,
        action="agreements.signature.signed",
        target=signature,
        partnership=agreement.partnership,
        after={
            "agreement": str(agreement.code),
            "version": version.number,
            "sha256": text_hash,
            "organisation": str(membership.partner.organisation.code),
            "method": method,
        },
    )
    return signature


@transaction.atomic
def agreement_sign(
    *, actor, agreement: Agreement, reauthenticated: bool, method: str = SignatureMethod.SESSION
) -> Signature:
    """Sign the final text for the actor's organisation (an authorised signatory, re-authenticated).

    When the signatures reach the quorum (or every required party), the agreement enters into force and
    the agreement it supersedes, if any, is marked superseded.
    """
    _require_reauthentication(reauthenticated)
    agreement = _lock(actor, agreement, write=True)
    if agreement.status not in (Status.SIGNING, Status.IN_FORCE):
        raise _refuse(
            _("This agreement is not open for signature (it is %(status)s).")
            % {"status": agreement.get_status_display()}
        )
    membership = signatory_membership(actor, agreement)
    if membership is None:
        raise PermissionDenied(_("Only an authorised signatory of a partner organisation can sign."))
    party = (
        Party.objects.select_for_update()
        .filter(agreement=agreement, partner_id=membership.partner_id)
        .first()
    )
    if party is None:
        if agreement.status == Status.IN_FORCE:
            raise _refuse(_("Your organisation is not a party; accede to the agreement instead."), "party")
        raise _refuse(_("Your organisation is not a party to this agreement."), "party")
    if party.withdrawn_on is not None:
        raise _refuse(_("Your organisation withdrew from this agreement."), "party")
    signature = _sign(actor, agreement, party, membership, method)
    state = signing_state(agreement) if agreement.status == Status.SIGNING else None
    if state is not None and state.complete and state.needed:  # never on optional signatures alone
        _enter_into_force(actor, agreement)
    return signature


@transaction.atomic
def agreement_accede(
    *, actor, agreement: Agreement, reauthenticated: bool, method: str = SignatureMethod.SESSION
) -> Signature:
    """A partner that is not yet a party joins by signing the version in force (its authorised signatory)."""
    _require_reauthentication(reauthenticated)
    agreement = _lock(actor, agreement, write=True)
    if agreement.status != Status.IN_FORCE:
        raise _refuse(
            _("Only an agreement in force can be acceded to (this one is %(status)s).")
            % {"status": agreement.get_status_display()}
        )
    membership = signatory_membership(actor, agreement)
    if membership is None:
        raise PermissionDenied(_("Only an authorised signatory of a partner organisation can accede."))
    existing = Party.objects.filter(agreement=agreement, partner_id=membership.partner_id).first()
    if existing is not None:
        if existing.withdrawn_on is not None:
            raise _refuse(
                _("Your organisation withdrew from this agreement; it can join again through a new version."),
                "party",
            )
        raise _refuse(_("Your organisation is already a party; sign it instead."), "party")
    party = Party.objects.create(
        agreement=agreement, partner=membership.partner, required=False, acceded=True
    )
    audit_record(
        actor=actor,
        action="agreements.party.acceded",
        target=party,
        partnership=agreement.partnership,
        after={"agreement": str(agreement.code), "organisation": str(membership.partner.organisation.code)},
    )
    return _sign(actor, agreement, party, membership, method)


@transaction.atomic
def party_withdraw(*, actor, party: Party, on_date: date, reason: str) -> Party:
    """A party leaves with a date and a reason (a coordinator, or the party's authorised signatory)."""
    agreement = _lock(actor, party.agreement, write=True)
    party = Party.objects.select_for_update().select_related("partner__organisation").get(pk=party.pk)
    membership = membership_in(actor, agreement.partnership)
    is_coordinator = membership is not None and membership.role == "coordinator"
    is_own_signatory = (
        membership is not None and membership.is_signatory and membership.partner_id == party.partner_id
    )
    if not (is_coordinator or is_own_signatory):
        raise PermissionDenied(
            _("Only a coordinator or the organisation's authorised signatory can withdraw it.")
        )
    if agreement.status not in (Status.SIGNING, Status.IN_FORCE):
        raise _refuse(
            _(
                "Parties can withdraw from an agreement open for signature or in force; while drafting, remove the party instead."
            )
        )
    if party.withdrawn_on is not None:
        raise _refuse(_("This organisation has already withdrawn."), "party")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the withdrawal.")})
    if not isinstance(on_date, date):
        raise ValidationError({"on_date": _("Give the date of the withdrawal.")})
    if agreement.effective_from and on_date < agreement.effective_from:
        raise ValidationError({"on_date": _("The withdrawal cannot take effect before the agreement did.")})
    party.withdrawn_on, party.withdrawal_reason, party.withdrawn_by = on_date, reason, actor
    party.save()
    audit_record(
        actor=actor,
        action="agreements.party.withdrawn",
        target=party,
        partnership=agreement.partnership,
        after={
            "agreement": str(agreement.code),
            "organisation": str(party.partner.organisation.code),
            "on": on_date.isoformat(),
        },
        reason=reason,
    )
    if agreement.status == Status.SIGNING:
        state = signing_state(agreement)
        if state.complete and state.needed:
            _enter_into_force(actor, agreement)
    return party


@transaction.atomic
def party_add(*, actor, agreement: Agreement, partner: Partner, required: bool = True) -> Party:
    agreement = _lock(actor, agreement, manage=True)
    if not agreement.is_editable:
        raise _refuse(
            _("Parties are fixed once the text is final; new partners accede to the agreement in force."),
            "parties",
        )
    if partner.partnership_id != agreement.partnership_id or partner.status != PartnerStatus.ACTIVE:
        raise ValidationError({"partner": _("Only an active partner of this partnership can be a party.")})
    party, created = Party.objects.get_or_create(
        agreement=agreement, partner=partner, defaults={"required": required}
    )
    if not created:
        raise ValidationError({"partner": _("This organisation is already a party.")})
    audit_record(
        actor=actor,
        action="agreements.party.added",
        target=party,
        partnership=agreement.partnership,
        after={
            "agreement": str(agreement.code),
            "organisation": str(partner.organisation.code),
            "required": required,
        },
    )
    return party


@transaction.atomic
def party_set_required(*, actor, party: Party, required: bool) -> Party:
    agreement = _lock(actor, party.agreement, manage=True)
    if not agreement.is_editable:
        raise _refuse(_("Parties are fixed once the text is final."), "parties")
    party = Party.objects.select_for_update().get(pk=party.pk)
    if party.required != required:
        party.required = required
        party.save(update_fields=["required"])
        audit_record(
            actor=actor,
            action="agreements.party.updated",
            target=party,
            partnership=agreement.partnership,
            before={"required": not required},
            after={"required": required},
        )
    return party


@transaction.atomic
def party_remove(*, actor, party: Party) -> None:
    agreement = _lock(actor, party.agreement, manage=True)
    if not agreement.is_editable:
        raise _refuse(_("Parties are fixed once the text is final; a party can withdraw instead."), "parties")
    party = Party.objects.select_related("partner__organisation").get(pk=party.pk)
    if agreement.parties.count() <= 1:
        raise _refuse(_("An agreement needs at least one party."), "parties")
    audit_record(
        actor=actor,
        action="agreements.party.removed",
        target=party,
        partnership=agreement.partnership,
        before={"agreement": str(agreement.code), "organisation": str(party.partner.organisation.code)},
    )
    party.delete()


@transaction.atomic
def agreement_terminate(*, actor, agreement: Agreement, reason: str) -> Agreement:
    """End an agreement in force (or abandon one being signed) with a reason (coordinators)."""
    agreement = _lock(actor, agreement, manage=True)
    if agreement.status not in (Status.FINAL, Status.SIGNING, Status.IN_FORCE):
        raise _refuse(
            _("Only a final, signing or in-force agreement can be terminated; a draft can simply be left.")
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for terminating the agreement.")})
    agreement.ended_at, agreement.end_reason = clock.now(), reason
    _transition(actor, agreement, Status.TERMINATED, action="agreements.agreement.terminated", reason=reason)
    return agreement


@transaction.atomic
def agreement_expire(*, agreement: Agreement, on: date | None = None) -> Agreement:
    """System: an agreement in force whose expiry date has passed becomes expired."""
    on = on or today()
    agreement = Agreement.objects.select_for_update().select_related("partnership").get(pk=agreement.pk)
    if agreement.status != Status.IN_FORCE or not agreement.expiry_date or agreement.expiry_date >= on:
        raise _refuse(_("Only an agreement in force past its expiry date can expire."))
    agreement.ended_at = clock.now()
    agreement.status = Status.EXPIRED
    agreement.save()
    audit_record(
        actor=None,
        actor_label="safepact",
        action="agreements.agreement.expired",
        target=agreement,
        partnership=agreement.partnership,
        before={"status": Status.IN_FORCE},
        after={"status": Status.EXPIRED, "expiry_date": agreement.expiry_date.isoformat()},
    )
    return agreement


def expire_due(on: date | None = None) -> int:
    """Mark every agreement past its expiry date expired (each in its own transaction)."""
    count = 0
    for agreement in expired_unmarked(on):
        try:
            agreement_expire(agreement=agreement, on=on)
        except ValidationError:
            continue  # terminated, or expired by another run, since it was listed
        count += 1
    return count


# Comments ------------------------------------------------------------------------------------------


@transaction.atomic
def comment_add(
    *, actor, agreement: Agreement, section: str, body: str, version: AgreementVersion | None = None
) -> Comment:
    """A member's remark on one section of the latest version, while the agreement is in review."""
    agreement = _lock(actor, agreement, write=True)
    if agreement.status != Status.REVIEW:
        raise _refuse(_("Comments are open while the agreement is in review."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the comment.")})
    if len(body) > MAX_COMMENT_LENGTH:
        raise ValidationError(
            {"body": _("A comment can be at most %(max)s characters.") % {"max": f"{MAX_COMMENT_LENGTH:,}"}}
        )
    latest = latest_version(agreement)
    version = version or latest
    if version is None or version.agreement_id != agreement.pk:
        raise ValidationError({"version": _("Unknown version of this agreement.")})
    section = (section or "").strip()
    headings = [s.heading for s in texts.parse(version.body).sections]
    if section and texts.normalise_heading(section) not in {texts.normalise_heading(h) for h in headings}:
        raise ValidationError(
            {"section": _("There is no section “%(section)s” in this version.") % {"section": section[:100]}}
        )
    membership = agreement.partnership.membership
    comment = Comment.objects.create(
        agreement=agreement,
        version=version,
        section=section,
        author=actor,
        partner=membership.partner,
        body=body,
    )
    audit_record(
        actor=actor,
        action="agreements.comment.added",
        target=comment,
        partnership=agreement.partnership,
        after={"agreement": str(agreement.code), "version": version.number, "section": section},
    )
    return comment


@transaction.atomic
def comment_resolve(*, actor, comment: Comment) -> Comment:
    agreement = _lock(actor, comment.agreement, write=True)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    membership = agreement.partnership.membership
    if not (membership.role == "coordinator" or comment.author_id == actor.pk):
        raise PermissionDenied(_("Only the author or a coordinator can resolve a comment."))
    if comment.resolved_at is None:
        comment.resolved_at, comment.resolved_by = clock.now(), actor
        comment.save(update_fields=["resolved_at", "resolved_by"])
        audit_record(
            actor=actor,
            action="agreements.comment.resolved",
            target=comment,
            partnership=agreement.partnership,
            after={"agreement": str(agreement.code)},
        )
    return comment


# Settings, exports, reminders ----------------------------------------------------------------------


@transaction.atomic
def agreement_settings_update(*, actor, partnership: Partnership, **changes) -> AgreementSettings:
    partnership = get_partnership_for_user(actor, partnership.code, manage=True)
    allowed = {"require_confidentiality", "review_notice_days", "expiry_notice_days"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here.")})
    for key in ("review_notice_days", "expiry_notice_days"):
        if key in changes:
            try:
                value = int(changes[key])
            except (TypeError, ValueError):
                raise ValidationError({key: _("Give a number of days.")}) from None
            if not 1 <= value <= 730:
                raise ValidationError({key: _("Give a number of days between 1 and 730.")})
            changes[key] = value
    settings_row, _created = AgreementSettings.objects.select_for_update().get_or_create(
        partnership=partnership
    )
    before = {key: getattr(settings_row, key) for key in allowed}
    for key, value in changes.items():
        setattr(settings_row, key, value)
    settings_row.save()
    audit_record_changes(
        actor=actor,
        action="agreements.settings.changed",
        target=partnership,
        partnership=partnership,
        before=before,
        after={key: getattr(settings_row, key) for key in allowed},
    )
    return settings_row


@transaction.atomic
def document_record_export(
    *,
    actor,
    agreement: Agreement,
    version: AgreementVersion,
    fmt: str,
    file_sha256: str,
    signature_count: int,
) -> DocumentExport:
    """Remember a produced file by its hash (so it can be verified later) and audit the disclosure."""
    get_partnership_for_user(actor, agreement.partnership.code)
    export = DocumentExport.objects.create(
        agreement=agreement,
        version=version,
        format=fmt,
        file_sha256=file_sha256,
        text_sha256=version.sha256,
        signature_count=signature_count,
        exported_by=actor,
    )
    audit_record(
        actor=actor,
        action="agreements.document.exported",
        target=agreement,
        partnership=agreement.partnership,
        after={
            "version": version.number,
            "format": fmt,
            "file_sha256": file_sha256,
            "signatures": signature_count,
        },
    )
    return export


@transaction.atomic
def reminder_record(*, agreement: Agreement, kind: str, due: date, recipients: int) -> bool:
    """Record that a reminder went out; ``False`` when it had already been sent (nothing written)."""
    _row, created = ReminderSent.objects.get_or_create(
        agreement=agreement, kind=kind, due=due, defaults={"recipients": recipients}
    )
    if created:
        audit_record(
            actor=None,
            actor_label="safepact",
            action="agreements.reminder.sent",
            target=agreement,
            partnership=agreement.partnership,
            after={"kind": kind, "due": due.isoformat(), "recipients": recipients},
        )
    return created
