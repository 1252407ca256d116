"""Pages for agreements: the list, drafting (Markdown editor with a live preview), versions and their
comparison, the lifecycle, parties, comments, signing and accession (after re-authentication), settings,
documents and the verification of a PDF.

Thin: fetch through an access helper (404 outsider, 403 role), parse with a form, call a service, render.
Every page works without JavaScript; HTMX only makes the preview live and the comparison swap in place.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from safepact.accounts.sudo import sudo_active, sudo_required
from safepact.agreements import services, texts
from safepact.agreements.forms import (
    AgreementCreateForm,
    AgreementUpdateForm,
    CommentForm,
    CompareForm,
    PartyAddForm,
    PartyRequiredForm,
    SettingsForm,
    TransitionForm,
    VerifyForm,
    VersionForm,
    WithdrawForm,
)
from safepact.agreements.models import (
    ENDED,
    Agreement,
    Formality,
    Kind,
    SignatureMethod,
    Status,
)
from safepact.agreements.selectors import (
    agreement_list,
    comment_list,
    confidentiality_status,
    get_agreement_for_user,
    get_comment_for_user,
    get_party_for_user,
    get_version_for_user,
    settings_for,
    sign_option,
    signature_list,
    signing_state,
    versions_with_comment_counts,
)
from safepact.lib.markdown import render as render_markdown
from safepact.partnerships.forms import apply_service_errors, error_summary
from safepact.partnerships.models import PartnerStatus
from safepact.partnerships.permissions import can_manage, can_write
from safepact.partnerships.selectors import get_partnership_for_user, partner_list

# What the list page says about the types and the formality levels (the paper: the formality of the
# agreement should fit the partnership, from a general description to fixed goals and duties).
KIND_HELP = {
    Kind.MOU: gettext_lazy(
        "A light, often non-binding statement that the partners intend to work together and on what."
    ),
    Kind.COVENANT: gettext_lazy(
        "The partners' mutual commitments: objectives, roles and tasks, governance, resources and review."
    ),
    Kind.CODE_OF_CONDUCT: gettext_lazy(
        "How the partners and their people behave in the partnership: integrity, impartiality, respect."
    ),
    Kind.MISSION_STATEMENT: gettext_lazy(
        "A short shared statement of why the partnership exists and what it wants to achieve."
    ),
    Kind.CONFIDENTIALITY: gettext_lazy(
        "How shared information is kept confidential; it can be required before TLP:AMBER and TLP:RED "
        "information is shown to an organisation."
    ),
    Kind.DATA_SHARING: gettext_lazy(
        "Which personal data is shared, by whom, on which legal basis, how long it is kept and who is "
        "controller."
    ),
}
FORMALITY_HELP = {
    Formality.GENERAL: gettext_lazy(
        "Fits a young or loose partnership: a description of the partnership and its focus. Only the basic "
        "sections (such as the parties, the purpose and the duration) are required."
    ),
    Formality.SPECIFIED: gettext_lazy(
        "Fits a partnership that knows what it wants: objectives, roles and tasks, governance and review "
        "are laid down as well."
    ),
    Formality.FIXED: gettext_lazy(
        "Fits a mature partnership with shared means: goals, activities, responsibilities, resources and "
        "the settling of disputes are fixed."
    ),
}

# The lifecycle, as the stepper shows it; the last step is any of the ended statuses.
STEPS = [Status.DRAFT, Status.REVIEW, Status.FINAL, Status.SIGNING, Status.IN_FORCE]


@dataclass(frozen=True)
class Action:
    slug: str
    label: str
    help: str
    danger: bool = False
    needs_reason: bool = False
    reason_optional: bool = False


ACTIONS = {
    "submit": Action(
        "submit",
        gettext_lazy("Send for review"),
        gettext_lazy(
            "Members can comment on each section while it is in review; coordinators can still edit."
        ),
    ),
    "draft": Action(
        "draft",
        gettext_lazy("Back to draft"),
        gettext_lazy("Closes the review (or undoes the freeze of a final text not yet open for signature)."),
        reason_optional=True,
    ),
    "finalise": Action(
        "finalise",
        gettext_lazy("Make final"),
        gettext_lazy(
            "Freezes the latest version and records its SHA-256: this exact text is what is signed."
        ),
    ),
    "open-signing": Action(
        "open-signing",
        gettext_lazy("Open for signature"),
        gettext_lazy("The authorised signatories of the parties can now sign the final text."),
    ),
    "terminate": Action(
        "terminate",
        gettext_lazy("Terminate"),
        gettext_lazy("Ends the agreement for every party. Give the reason; it is kept with the agreement."),
        danger=True,
        needs_reason=True,
    ),
}
AVAILABLE = {
    Status.DRAFT: ["submit", "finalise"],
    Status.REVIEW: ["finalise", "draft"],
    Status.FINAL: ["open-signing", "draft", "terminate"],
    Status.SIGNING: ["terminate"],
    Status.IN_FORCE: ["terminate"],
}


# Helpers ------------------------------------------------------------------------------------------


def _detail_url(agreement: Agreement, anchor: str = "") -> str:
    url = reverse(
        "agreements:detail", kwargs={"code": agreement.partnership.code, "agreement_code": agreement.code}
    )
    return f"{url}#{anchor}" if anchor else url


def _report_errors(request, exc: ValidationError) -> None:
    """A service's refusal as flash messages (each problem on its own)."""
    for message in exc.messages:
        messages.error(request, message)


def _html(text: str) -> str:
    return mark_safe(render_markdown(text, heading_offset=1))  # noqa: S308 - sanitised by nh3 in lib.markdown


def _template(agreement: Agreement):
    try:
        return texts.get_template(agreement.kind, agreement.language)
    except texts.TemplateError:
        return None


@dataclass(frozen=True)
class SectionCheck:
    heading: str
    required: bool
    state: str  # "present" | "empty" | "missing"


def section_checks(body: str, template, formality: str) -> list[SectionCheck]:
    """Every section of the template: whether the formality requires it and whether the text has it."""
    if template is None:
        return []
    parsed = texts.parse(body)
    found = []
    for section in template.sections:
        present = parsed.section(section.heading)
        state = "missing" if present is None else ("empty" if present.is_empty else "present")
        found.append(SectionCheck(section.heading, section.required_at(formality), state))
    return found


def _text_context(agreement: Agreement, body: str) -> dict:
    template = _template(agreement)
    return {
        "rendered": _html(body),
        "sections": section_checks(body, template, agreement.formality),
        "problems": texts.check(body, template, agreement.formality) if template else [],
        # Open points matter while the text can still change (or before signing starts); once signed, the
        # markers are part of the agreed text and a warning would only be noise.
        "unresolved": texts.unresolved(body) if agreement.status in ("draft", "review", "final") else [],
    }


def needed(agreement) -> int:
    required = agreement.required_count
    return min(agreement.quorum, required) if agreement.quorum else required


def lifecycle(agreement: Agreement) -> list[dict]:
    """The stepper: each step ``done``, ``current``, ``todo`` or ``skipped`` (written out on the page)."""
    ended = agreement.status in ENDED
    steps = []
    position = len(STEPS) if ended else STEPS.index(agreement.status)
    for index, status in enumerate(STEPS):
        if index < position:
            state = "done"
            if ended and status == Status.IN_FORCE and agreement.in_force_at is None:
                state = "skipped"
        elif index == position:
            state = "current"
        else:
            state = "todo"
        steps.append({"key": status.value, "label": status.label, "state": state})
    steps.append(
        {
            "key": "ended",
            "label": agreement.get_status_display() if ended else _("Ended"),
            "state": "current" if ended else "todo",
        }
    )
    return steps


# List, create, settings ----------------------------------------------------------------------------


@login_required
def agreement_list_view(request, code):
    partnership = get_partnership_for_user(request.user, code)
    membership = partnership.membership
    agreements = list(agreement_list(user=request.user, partnership=partnership))
    for agreement in agreements:
        agreement.needed = needed(agreement)
    context = {
        "partnership": partnership,
        "membership": membership,
        "is_coordinator": can_manage(membership),
        "agreements": agreements,
        "kinds": [(Kind(value).label, KIND_HELP[value]) for value in Kind.values],
        "formalities": [(Formality(value).label, FORMALITY_HELP[value]) for value in Formality.values],
        "gate": confidentiality_status(request.user, partnership),
    }
    return render(request, "agreements/list.html", context)


def _create_form(request, partnership):
    partners = partner_list(user=request.user, partnership=partnership).filter(status=PartnerStatus.ACTIVE)
    replaceable = agreement_list(user=request.user, partnership=partnership).filter(
        status__in=[Status.IN_FORCE, Status.SIGNING]
    )
    data = request.POST if request.method == "POST" else None
    initial = {"language": request.LANGUAGE_CODE if request.LANGUAGE_CODE in ("en", "nl") else "en"}
    if request.GET.get("kind") in Kind.values:
        initial["kind"] = request.GET["kind"]
    return AgreementCreateForm(data, partners=partners, replaceable=replaceable, initial=initial)


@login_required
def agreement_create(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    form = _create_form(request, partnership)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        values["partner_codes"] = [p.code for p in values.pop("parties")]
        try:
            agreement = services.agreement_create(actor=request.user, partnership=partnership, **values)
        except ValidationError as exc:
            apply_service_errors(form, exc, rename={"partner_codes": "parties"})
        else:
            agreement.partnership = partnership
            messages.success(
                request,
                _(
                    "“%(title)s” was drafted from the template and pre-filled with the partnership's "
                    "purpose, partners, objectives, task table and structure. Check the places marked "
                    "“[to be agreed]”."
                )
                % {"title": agreement.title},
            )
            return redirect(_detail_url(agreement))
    templates = []
    for value in Kind.values:
        try:
            template = texts.get_template(value, form["language"].value() or "en")
        except texts.TemplateError:
            continue
        templates.append({"kind": Kind(value).label, "sections": template.sections})
    context = {
        "partnership": partnership,
        "form": form,
        "templates": templates,
        "formalities": [(Formality(value).label, FORMALITY_HELP[value]) for value in Formality.values],
    }
    return render(request, "agreements/create.html", context)


@login_required
def agreement_settings(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    current = settings_for(partnership=partnership)
    initial = {
        "require_confidentiality": current.require_confidentiality,
        "review_notice_days": current.review_notice_days,
        "expiry_notice_days": current.expiry_notice_days,
    }
    form = SettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_settings_update(
                actor=request.user, partnership=partnership, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The agreement settings were saved."))
            return redirect("agreements:list", code=partnership.code)
    context = {
        "partnership": partnership,
        "form": form,
        "gate": confidentiality_status(request.user, partnership),
    }
    return render(request, "agreements/settings.html", context)


# Verify --------------------------------------------------------------------------------------------


@login_required
def agreement_verify(request, code):
    """Any member may check a PDF: does it correspond to a version SafePact produced, and who signed it?"""
    partnership = get_partnership_for_user(request.user, code)
    from safepact.agreements import documents  # written beside these pages; imported when used

    max_bytes = getattr(documents, "MAX_VERIFY_BYTES", 20 * 1024 * 1024)
    form = VerifyForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        max_bytes=max_bytes,
    )
    verification = None
    if request.method == "POST" and form.is_valid():
        try:
            verification = documents.verify_pdf(user=request.user, data=form.cleaned_data["file"].read())
        except ValidationError as exc:
            apply_service_errors(form, exc)
    context = {
        "partnership": partnership,
        "form": form,
        "verification": verification,
        "verified_url": _verified_url(verification),
        "max_mb": max_bytes // (1024 * 1024),
    }
    return render(request, "agreements/verify.html", context, status=200)


def _verified_url(verification) -> str:
    agreement = getattr(verification, "agreement", None)
    if agreement is None:
        return ""
    url = _detail_url(agreement)
    version = getattr(verification, "version", None)
    if version is not None:
        url = reverse(
            "agreements:version",
            kwargs={
                "code": agreement.partnership.code,
                "agreement_code": agreement.code,
                "number": version.number,
            },
        )
    return url


# Detail --------------------------------------------------------------------------------------------


def _party_rows(agreement: Agreement, state, membership) -> list[dict]:
    coordinator = can_manage(membership)
    may_withdraw_now = agreement.status in (Status.SIGNING, Status.IN_FORCE)
    rows = []
    for party in state.parties:
        own = membership.is_signatory and membership.partner_id == party.partner_id
        rows.append(
            {
                "party": party,
                "signature": state.signed.get(party.pk),
                "counts": party.required and party.withdrawn_on is None,
                "may_withdraw": may_withdraw_now and party.withdrawn_on is None and (coordinator or own),
                "mine": membership.partner_id == party.partner_id,
            }
        )
    return rows


def _comment_groups(comments, headings: list[str]) -> list[dict]:
    """Comments by section, in the order of the text's sections (the whole agreement first)."""
    order = {texts.normalise_heading(h): i for i, h in enumerate(headings)}
    groups: dict[str, dict] = {}
    for comment in comments:
        key = texts.normalise_heading(comment.section) if comment.section else ""
        group = groups.setdefault(key, {"section": comment.section, "comments": [], "open": 0})
        group["comments"].append(comment)
        group["open"] += comment.resolved_at is None
    return sorted(
        groups.values(),
        key=lambda g: (
            -1 if not g["section"] else order.get(texts.normalise_heading(g["section"]), len(order))
        ),
    )


def _detail_context(request, agreement: Agreement, *, comment_form=None) -> dict:
    membership = agreement.partnership.membership
    coordinator = can_manage(membership)
    versions = list(versions_with_comment_counts(agreement).defer("body"))
    shown = agreement.final_version if agreement.final_version_id else None
    if shown is None and versions:
        shown = agreement.versions.get(pk=versions[0].pk)
    body = shown.body if shown else ""
    headings = [s.heading for s in texts.parse(body).sections]
    state = signing_state(agreement)
    comments = list(comment_list(agreement=agreement))
    user = request.user
    may_comment = agreement.status == Status.REVIEW and can_write(membership)
    editable = agreement.is_editable
    context = {
        "partnership": agreement.partnership,
        "agreement": agreement,
        "membership": membership,
        "is_coordinator": coordinator,
        "steps": lifecycle(agreement),
        "actions": [ACTIONS[slug] for slug in AVAILABLE.get(agreement.status, [])] if coordinator else [],
        "state": state,
        "party_rows": _party_rows(agreement, state, membership),
        "sign": sign_option(user, agreement),
        "versions": versions,
        "shown": shown,
        "compare_from": versions[1].number if len(versions) > 1 else None,
        "compare_to": versions[0].number if versions else None,
        "comment_groups": _comment_groups(comments, headings),
        "open_comments": sum(1 for c in comments if c.resolved_at is None),
        "may_comment": may_comment,
        "may_write": can_write(membership),
        "comment_form": comment_form or (CommentForm(headings=headings) if may_comment else None),
        "may_edit": coordinator and editable,
        "user_id": user.pk,
        **_text_context(agreement, body),
    }
    if coordinator and editable:
        taken = [row["party"].partner_id for row in context["party_rows"]]
        candidates = (
            partner_list(user=user, partnership=agreement.partnership)
            .filter(status=PartnerStatus.ACTIVE)
            .exclude(pk__in=taken)
        )
        context["party_form"] = PartyAddForm(partners=candidates) if candidates.exists() else None
    return context


@login_required
def agreement_detail(request, code, agreement_code):
    agreement = get_agreement_for_user(request.user, code, agreement_code)
    return render(request, "agreements/detail.html", _detail_context(request, agreement))


@login_required
def agreement_update(request, code, agreement_code):
    agreement = get_agreement_for_user(request.user, code, agreement_code, manage=True)
    if agreement.is_ended:
        messages.error(request, _("An ended agreement cannot change."))
        return redirect(_detail_url(agreement))
    fields = ("title", "formality", "quorum", "effective_from", "review_date", "expiry_date")
    form = AgreementUpdateForm(
        request.POST if request.method == "POST" else None,
        initial={name: getattr(agreement, name) for name in fields},
        editable=agreement.is_editable,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_update(
                actor=request.user,
                agreement=agreement,
                reason=form.cleaned_data.get("reason", ""),
                **form.changes(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("The details of “%(title)s” were saved.") % {"title": agreement.title}
            )
            return redirect(_detail_url(agreement))
    context = {"partnership": agreement.partnership, "agreement": agreement, "form": form}
    return render(request, "agreements/update.html", context)


# Editing and preview ---------------------------------------------------------------------------------


def _latest_body(agreement: Agreement) -> tuple[int, str]:
    latest = agreement.versions.order_by("-number").only("number", "body").first()
    return (latest.number, latest.body) if latest else (0, "")


@login_required
def agreement_edit(request, code, agreement_code):
    agreement = get_agreement_for_user(request.user, code, agreement_code, manage=True)
    if not agreement.is_editable:
        messages.error(
            request,
            _("The text is frozen: it can only change while the agreement is a draft or in review."),
        )
        return redirect(_detail_url(agreement))
    number, body = _latest_body(agreement)
    form = VersionForm(request.POST if request.method == "POST" else None, initial={"body": body})
    preview = request.method == "POST" and request.POST.get("action") == "preview"
    if request.method == "POST" and form.is_valid() and not preview:
        try:
            version, created = services.version_save(
                actor=request.user,
                agreement=agreement,
                body=form.cleaned_data["body"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if created:
                messages.success(
                    request,
                    _("Version %(number)s was saved (SHA-256 %(hash)s…).")
                    % {"number": version.number, "hash": version.sha256[:12]},
                )
            else:
                messages.info(
                    request,
                    _("Nothing changed: the text is the same as version %(number)s, so no version was saved.")
                    % {"number": version.number},
                )
            return redirect(_detail_url(agreement, "text"))
    text = form.data.get("body", body) if form.is_bound else body
    context = {
        "partnership": agreement.partnership,
        "agreement": agreement,
        "form": form,
        "latest_number": number,
        "preview": preview,
        **_text_context(agreement, text),
    }
    return render(request, "agreements/edit.html", context)


@login_required
@require_POST
def agreement_preview(request, code, agreement_code):
    """The rendered text and its section check, as an HTML fragment (the editor's live preview)."""
    agreement = get_agreement_for_user(request.user, code, agreement_code, manage=True)
    body = request.POST.get("body", "")[: services.MAX_TEXT_LENGTH]
    context = {"agreement": agreement, **_text_context(agreement, body)}
    return render(request, "agreements/_preview.html", context)


# Versions and comparison ---------------------------------------------------------------------------


@login_required
def version_detail(request, code, agreement_code, number):
    version = get_version_for_user(request.user, code, agreement_code, number)
    agreement = version.agreement
    context = {
        "partnership": agreement.partnership,
        "agreement": agreement,
        "version": version,
        "rendered": _html(version.body),
        "signatures": signature_list(agreement=agreement, version=version),
        "is_final": agreement.final_version_id == version.pk,
        "hash_ok": texts.sha256(version.body) == version.sha256,
    }
    return render(request, "agreements/version.html", context)


@login_required
def version_compare(request, code, agreement_code):
    agreement = get_agreement_for_user(request.user, code, agreement_code)
    versions = list(versions_with_comment_counts(agreement).defer("body"))
    numbers = [v.number for v in versions]
    # Without a choice: the latest version against the one before it.
    initial = {"from": numbers[min(1, len(numbers) - 1)], "to": numbers[0]}
    if {"from", "to"} & set(request.GET):
        form = CompareForm(request.GET, numbers=numbers)
        chosen = form.cleaned_data if form.is_valid() else None
    else:
        form = CompareForm(initial=initial, numbers=numbers)
        chosen = initial
    old = new = result = None
    if chosen:
        by_number = {
            v.number: v
            for v in agreement.versions.filter(number__in=[chosen["from"], chosen["to"]]).select_related(
                "created_by"
            )
        }
        old, new = by_number[chosen["from"]], by_number[chosen["to"]]
        result = texts.diff(old.body, new.body)
    context = {
        "partnership": agreement.partnership,
        "agreement": agreement,
        "form": form,
        "old": old,
        "new": new,
        "diff": result,
    }
    template = (
        "agreements/_compare_result.html"
        if request.htmx and not request.htmx.boosted
        else "agreements/compare.html"
    )
    return render(request, template, context)


# Lifecycle -----------------------------------------------------------------------------------------


@login_required
@require_POST
def agreement_transition(request, code, agreement_code, action):
    if action not in ACTIONS:
        raise Http404(_("Unknown action."))
    agreement = get_agreement_for_user(request.user, code, agreement_code, manage=True)
    form = TransitionForm(request.POST)
    reason = form.cleaned_data["reason"].strip() if form.is_valid() else ""
    title = {"title": agreement.title}
    try:
        if action == "submit":
            services.agreement_submit_for_review(actor=request.user, agreement=agreement)
            done = _("“%(title)s” is now in review: members can comment on its sections.") % title
        elif action == "draft":
            services.agreement_return_to_draft(actor=request.user, agreement=agreement, reason=reason)
            done = _("“%(title)s” is a draft again.") % title
        elif action == "finalise":
            final = services.agreement_finalise(actor=request.user, agreement=agreement)
            done = _(
                "The text of “%(title)s” is final; its SHA-256 is %(hash)s. Open it for signature when the "
                "parties are ready."
            ) % {**title, "hash": final.final_sha256}
        elif action == "open-signing":
            services.agreement_open_signing(actor=request.user, agreement=agreement)
            done = _("“%(title)s” is open for signature.") % title
        else:  # terminate
            services.agreement_terminate(actor=request.user, agreement=agreement, reason=reason)
            done = _("“%(title)s” was terminated.") % title
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(
                request,
                _("“%(action)s” was refused: %(reason)s")
                % {"action": ACTIONS[action].label, "reason": problem},
            )
    else:
        messages.success(request, done)
    return redirect(_detail_url(agreement))


# Signing and accession -----------------------------------------------------------------------------


def _signing_page(request, agreement: Agreement, *, accede: bool):
    option = sign_option(request.user, agreement)
    allowed = option.can_accede if accede else option.can_sign
    membership = agreement.partnership.membership
    context = {
        "partnership": agreement.partnership,
        "agreement": agreement,
        "option": option,
        "allowed": allowed,
        "accede": accede,
        "organisation": membership.partner.organisation,
        "sudo": sudo_active(request),
        "state": signing_state(agreement),
    }
    return render(request, "agreements/sign.html", context)


@sudo_required
def _signing_post(request, agreement: Agreement, *, accede: bool):
    organisation = agreement.partnership.membership.partner.organisation.name
    was_in_force = agreement.status == Status.IN_FORCE
    try:
        if accede:
            signature = services.agreement_accede(
                actor=request.user,
                agreement=agreement,
                reauthenticated=sudo_active(request),
                method=SignatureMethod.SESSION,
            )
        else:
            signature = services.agreement_sign(
                actor=request.user,
                agreement=agreement,
                reauthenticated=sudo_active(request),
                method=SignatureMethod.SESSION,
            )
    except ValidationError as exc:
        _report_errors(request, exc)
        return redirect(_detail_url(agreement, "parties"))
    params = {"title": agreement.title, "organisation": organisation, "hash": signature.text_sha256}
    if accede:
        messages.success(
            request,
            _(
                "%(organisation)s acceded to “%(title)s”, which is in force: you signed the text with "
                "SHA-256 %(hash)s."
            )
            % params,
        )
    elif was_in_force:
        messages.success(
            request,
            _("You signed “%(title)s” for %(organisation)s (SHA-256 %(hash)s). It was already in force.")
            % params,
        )
    elif signature.agreement.status == Status.IN_FORCE:
        messages.success(
            request,
            _(
                "You signed “%(title)s” for %(organisation)s (SHA-256 %(hash)s). With this signature the "
                "agreement has entered into force."
            )
            % params,
        )
    else:
        state = signing_state(signature.agreement)
        remaining = max(state.needed - state.required_signed, 0)
        messages.success(
            request,
            ngettext(
                "You signed “%(title)s” for %(organisation)s (SHA-256 %(hash)s). It is not in force yet: "
                "%(count)s more signature is needed.",
                "You signed “%(title)s” for %(organisation)s (SHA-256 %(hash)s). It is not in force yet: "
                "%(count)s more signatures are needed.",
                remaining,
            )
            % {**params, "count": remaining},
        )
    return redirect(_detail_url(agreement, "parties"))


@login_required
def agreement_sign(request, code, agreement_code):
    agreement = get_agreement_for_user(request.user, code, agreement_code, write=True)
    if request.method == "POST":
        return _signing_post(request, agreement, accede=False)
    return _signing_page(request, agreement, accede=False)


@login_required
def agreement_accede(request, code, agreement_code):
    agreement = get_agreement_for_user(request.user, code, agreement_code, write=True)
    if request.method == "POST":
        return _signing_post(request, agreement, accede=True)
    return _signing_page(request, agreement, accede=True)


# Parties -------------------------------------------------------------------------------------------


@login_required
def party_add(request, code, agreement_code):
    agreement = get_agreement_for_user(request.user, code, agreement_code, manage=True)
    taken = agreement.parties.values("partner_id")
    candidates = (
        partner_list(user=request.user, partnership=agreement.partnership)
        .filter(status=PartnerStatus.ACTIVE)
        .exclude(pk__in=taken)
    )
    form = PartyAddForm(request.POST if request.method == "POST" else None, partners=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            party = services.party_add(
                actor=request.user,
                agreement=agreement,
                partner=form.cleaned_data["partner"],
                required=form.cleaned_data["required"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, rename={"parties": "partner"})
        else:
            messages.success(
                request,
                _("%(organisation)s is now a party.") % {"organisation": party.partner.organisation.name},
            )
            return redirect(_detail_url(agreement, "parties"))
    context = {"partnership": agreement.partnership, "agreement": agreement, "form": form}
    return render(request, "agreements/party_add.html", context)


@login_required
@require_POST
def party_update(request, code, agreement_code, party_code):
    get_agreement_for_user(request.user, code, agreement_code, manage=True)  # 404 outsider, 403 role
    party = get_party_for_user(request.user, code, agreement_code, party_code)
    form = PartyRequiredForm(request.POST)
    if form.is_valid():
        try:
            services.party_set_required(
                actor=request.user, party=party, required=form.cleaned_data["required"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    if form.errors:
        messages.error(request, error_summary(form))
    else:
        params = {"organisation": party.partner.organisation.name}
        messages.success(
            request,
            _("The signature of %(organisation)s is now required.") % params
            if form.cleaned_data["required"]
            else _("The signature of %(organisation)s is now optional.") % params,
        )
    return redirect(_detail_url(party.agreement, "parties"))


@login_required
@require_POST
def party_remove(request, code, agreement_code, party_code):
    get_agreement_for_user(request.user, code, agreement_code, manage=True)  # 404 outsider, 403 role
    party = get_party_for_user(request.user, code, agreement_code, party_code)
    try:
        services.party_remove(actor=request.user, party=party)
    except ValidationError as exc:
        _report_errors(request, exc)
    else:
        messages.success(
            request,
            _("%(organisation)s is no longer a party.") % {"organisation": party.partner.organisation.name},
        )
    return redirect(_detail_url(party.agreement, "parties"))


@login_required
def party_withdraw(request, code, agreement_code, party_code):
    """A coordinator, or the party's own authorised signatory (the service decides), with date and reason."""
    agreement = get_agreement_for_user(request.user, code, agreement_code, write=True)  # 404, 403 viewer
    party = get_party_for_user(request.user, code, agreement_code, party_code)
    membership = agreement.partnership.membership
    own = membership.is_signatory and membership.partner_id == party.partner_id
    if not (can_manage(membership) or own):
        raise PermissionDenied(
            _("Only a coordinator or the organisation's authorised signatory can withdraw it.")
        )
    party.agreement = agreement
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.party_withdraw(actor=request.user, party=party, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(organisation)s withdrew from “%(title)s”.")
                % {"organisation": party.partner.organisation.name, "title": agreement.title},
            )
            return redirect(_detail_url(agreement, "parties"))
    context = {"partnership": agreement.partnership, "agreement": agreement, "party": party, "form": form}
    return render(request, "agreements/withdraw.html", context)


# Comments ------------------------------------------------------------------------------------------


@login_required
def comment_add(request, code, agreement_code):
    agreement = get_agreement_for_user(request.user, code, agreement_code, write=True)
    latest = agreement.versions.order_by("-number").first()
    headings = [s.heading for s in texts.parse(latest.body if latest else "").sections]
    if request.method == "POST":
        form = CommentForm(request.POST, headings=headings)
    else:
        form = CommentForm(initial={"section": request.GET.get("section", "")}, headings=headings)
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_add(actor=request.user, agreement=agreement, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Your comment was added."))
            return redirect(_detail_url(agreement, "comments"))
    context = {
        "partnership": agreement.partnership,
        "agreement": agreement,
        "form": form,
        "open": agreement.status == Status.REVIEW,
        "latest": latest,
    }
    return render(request, "agreements/comment_add.html", context)


@login_required
@require_POST
def comment_resolve(request, code, agreement_code, comment_code):
    comment = get_comment_for_user(request.user, code, agreement_code, comment_code)
    services.comment_resolve(actor=request.user, comment=comment)
    messages.success(request, _("The comment was marked resolved."))
    return redirect(_detail_url(comment.agreement, "comments"))


# Documents -----------------------------------------------------------------------------------------

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _download(request, code, agreement_code, number, fmt: str):
    version = get_version_for_user(request.user, code, agreement_code, number)
    from safepact.agreements import documents  # written beside these pages; imported when used

    export = documents.export_pdf if fmt == "pdf" else documents.export_docx
    data, filename = export(actor=request.user, agreement=version.agreement, version=version)
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def version_pdf(request, code, agreement_code, number):
    return _download(request, code, agreement_code, number, "pdf")


@login_required
def version_docx(request, code, agreement_code, number):
    return _download(request, code, agreement_code, number, "docx")


A = "p/<uuid:code>/agreements/"
AC = A + "<uuid:agreement_code>/"
urlpatterns = [
    path(A, agreement_list_view, name="list"),
    path(f"{A}new/", agreement_create, name="create"),
    path(f"{A}settings/", agreement_settings, name="settings"),
    path(f"{A}verify/", agreement_verify, name="verify"),
    path(AC, agreement_detail, name="detail"),
    path(f"{AC}details/", agreement_update, name="update"),
    path(f"{AC}edit/", agreement_edit, name="edit"),
    path(f"{AC}preview/", agreement_preview, name="preview"),
    path(f"{AC}versions/<int:number>/", version_detail, name="version"),
    path(f"{AC}versions/<int:number>.pdf", version_pdf, name="pdf"),
    path(f"{AC}versions/<int:number>.docx", version_docx, name="docx"),
    path(f"{AC}compare/", version_compare, name="compare"),
    path(f"{AC}transition/<slug:action>/", agreement_transition, name="transition"),
    path(f"{AC}sign/", agreement_sign, name="sign"),
    path(f"{AC}accede/", agreement_accede, name="accede"),
    path(f"{AC}parties/new/", party_add, name="party_add"),
    path(f"{AC}parties/<uuid:party_code>/", party_update, name="party_update"),
    path(f"{AC}parties/<uuid:party_code>/remove/", party_remove, name="party_remove"),
    path(f"{AC}parties/<uuid:party_code>/withdraw/", party_withdraw, name="withdraw"),
    path(f"{AC}comments/new/", comment_add, name="comment_add"),
    path(f"{AC}comments/<uuid:comment_code>/resolve/", comment_resolve, name="comment_resolve"),
]
