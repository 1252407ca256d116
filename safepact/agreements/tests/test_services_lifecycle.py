"""The lifecycle through the services: every valid transition (audited), every invalid one refused with a
reason that names the problem, the frozen hash, and the sections each formality level requires."""

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.agreements import services, texts
from safepact.agreements.models import Agreement, AgreementVersion, Formality, Kind, Signature, Status
from safepact.agreements.tests import support
from safepact.audit.models import AuditEvent
from safepact.lib import clock

T0 = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)


def events(action: str, target) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, target_code=str(target.code)).order_by("seq"))


def refused(excinfo, field: str, fragment: str) -> None:
    """The ValidationError names the field and says what is wrong."""
    messages = excinfo.value.message_dict[field]
    assert any(fragment in message for message in messages), messages


def without_section(body: str, heading: str) -> str:
    parsed = texts.parse(body)
    parts = [f"# {parsed.title}", parsed.preamble]
    for section in parsed.sections:
        if section.heading != heading:
            parts += [f"## {section.heading}", section.body.strip()]
    return "\n\n".join(p for p in parts if p) + "\n"


def with_empty_section(body: str, heading: str) -> str:
    parsed = texts.parse(body)
    parts = [f"# {parsed.title}", parsed.preamble]
    for section in parsed.sections:
        parts += [f"## {section.heading}", "" if section.heading == heading else section.body.strip()]
    return "\n\n".join(p for p in parts if p) + "\n"


def latest(agreement) -> AgreementVersion:
    return agreement.versions.order_by("-number").first()


# Valid transitions ---------------------------------------------------------------------------------


def test_create_makes_a_draft_with_version_one_and_is_audited(world):
    agreement = support.draft(world)
    assert agreement.status == Status.DRAFT
    assert [v.number for v in agreement.versions.all()] == [1]
    assert {
        p.partner.organisation.name for p in agreement.parties.select_related("partner__organisation")
    } == {
        "Polisen Malmö",
        "Malmö stad",
        "Sofielund Fastighetsägare",
    }
    [created] = events("agreements.agreement.created", agreement)
    assert created.after["kind"] == Kind.COVENANT
    assert events("agreements.version.saved", latest(agreement))


def test_draft_to_review_and_back_is_audited(world):
    agreement = support.draft(world)
    services.agreement_submit_for_review(actor=world.coordinator, agreement=agreement)
    assert support.reload(agreement).status == Status.REVIEW
    [submitted] = events("agreements.agreement.submitted", agreement)
    assert submitted.before == {"status": "draft"} and submitted.after == {"status": "review"}

    services.agreement_return_to_draft(actor=world.coordinator, agreement=agreement, reason="More work")
    assert support.reload(agreement).status == Status.DRAFT
    [back] = events("agreements.agreement.returned_to_draft", agreement)
    assert back.before == {"status": "review"} and back.reason == "More work"


@pytest.mark.parametrize("via_review", [False, True])
def test_finalise_from_draft_or_review_freezes_the_latest_version(world, via_review):
    agreement = support.draft(world)
    version, created = services.version_save(
        actor=world.coordinator, agreement=agreement, body=latest(agreement).body + "\nOne more line.\n"
    )
    assert created and version.number == 2
    if via_review:
        services.agreement_submit_for_review(actor=world.coordinator, agreement=agreement)
    with clock.frozen(T0):
        services.agreement_finalise(actor=world.coordinator, agreement=support.reload(agreement))
    agreement = support.reload(agreement)
    assert agreement.status == Status.FINAL
    assert agreement.final_version == version
    assert agreement.finalised_at == T0
    [finalised] = events("agreements.agreement.finalised", agreement)
    assert finalised.after == {"status": "final", "version": 2, "sha256": version.sha256}


def test_final_back_to_draft_unfreezes_and_the_text_can_change_again(world):
    agreement = support.draft(world)
    services.agreement_finalise(actor=world.coordinator, agreement=agreement)
    frozen_hash = support.reload(agreement).final_sha256
    assert frozen_hash

    services.agreement_return_to_draft(actor=world.coordinator, agreement=agreement, reason="A late change")
    agreement = support.reload(agreement)
    assert agreement.status == Status.DRAFT
    assert agreement.final_version is None and agreement.final_sha256 == "" and agreement.finalised_at is None
    [back] = events("agreements.agreement.returned_to_draft", agreement)
    assert back.after == {"status": "draft", "unfrozen_sha256": frozen_hash}

    version, created = services.version_save(
        actor=world.coordinator, agreement=agreement, body=latest(agreement).body + "\nA late change.\n"
    )
    assert created and version.number == 2


def test_final_to_signing_is_audited(world):
    agreement = support.draft(world)
    services.agreement_finalise(actor=world.coordinator, agreement=agreement)
    services.agreement_open_signing(actor=world.coordinator, agreement=support.reload(agreement))
    assert support.reload(agreement).status == Status.SIGNING
    [opened] = events("agreements.agreement.signing_opened", agreement)
    assert opened.before == {"status": "final"} and opened.after == {"status": "signing"}


def test_signing_to_in_force_happens_by_itself_when_the_last_required_party_signs(world):
    support.signatories(world)
    agreement = support.to_signing(world, support.draft(world))
    with clock.frozen(T0):
        agreement = support.sign(world.coordinator, agreement)
        assert agreement.status == Status.SIGNING
        assert not events("agreements.agreement.in_force", agreement)
        agreement = support.sign(world.member, agreement)
    assert agreement.status == Status.IN_FORCE
    assert agreement.in_force_at == T0
    assert agreement.effective_from == T0.date()  # none was named: the day it entered into force
    [in_force] = events("agreements.agreement.in_force", agreement)
    assert in_force.after == {
        "status": "in_force",
        "sha256": agreement.final_sha256,
        "effective_from": T0.date().isoformat(),  # set at entry into force, so recorded with it
    }
    assert in_force.actor_code == str(world.member.code)


def test_a_named_effective_date_is_kept_on_entry_into_force(world):
    agreement = support.in_force(world, effective_from=date(2030, 1, 1))
    assert agreement.effective_from == date(2030, 1, 1)


def test_in_force_to_terminated_needs_a_reason(world):
    agreement = support.in_force(world)
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_terminate(actor=world.coordinator, agreement=agreement, reason="   ")
    refused(excinfo, "reason", "reason")
    assert support.reload(agreement).status == Status.IN_FORCE
    assert not events("agreements.agreement.terminated", agreement)

    with clock.frozen(T0):
        services.agreement_terminate(actor=world.coordinator, agreement=agreement, reason="Partnership ends")
    agreement = support.reload(agreement)
    assert agreement.status == Status.TERMINATED
    assert agreement.end_reason == "Partnership ends" and agreement.ended_at == T0
    [terminated] = events("agreements.agreement.terminated", agreement)
    assert terminated.reason == "Partnership ends"
    assert terminated.before == {"status": "in_force"}


@pytest.mark.parametrize("state", ["final", "signing"])
def test_a_final_or_signing_agreement_can_be_abandoned(world, state):
    agreement = support.draft(world)
    services.agreement_finalise(actor=world.coordinator, agreement=agreement)
    if state == "signing":
        services.agreement_open_signing(actor=world.coordinator, agreement=support.reload(agreement))
    services.agreement_terminate(
        actor=world.coordinator, agreement=support.reload(agreement), reason="Dropped"
    )
    assert support.reload(agreement).status == Status.TERMINATED


def test_in_force_to_expired_after_the_expiry_date(world):
    agreement = support.in_force(world, effective_from=date(2025, 1, 1), expiry_date=date(2025, 12, 31))
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_expire(agreement=agreement, on=date(2025, 12, 31))  # the last day still counts
    refused(excinfo, "status", "past its expiry date")
    assert support.reload(agreement).status == Status.IN_FORCE

    with clock.frozen(datetime(2026, 1, 1, 8, tzinfo=UTC)):
        services.agreement_expire(agreement=agreement)
    agreement = support.reload(agreement)
    assert agreement.status == Status.EXPIRED
    assert agreement.ended_at == datetime(2026, 1, 1, 8, tzinfo=UTC)
    [expired] = events("agreements.agreement.expired", agreement)
    assert expired.actor_label == "safepact" and expired.actor_code == ""
    assert expired.after == {"status": "expired", "expiry_date": "2025-12-31"}


def test_expire_due_marks_only_agreements_past_their_expiry_date(world):
    past = support.in_force(world, effective_from=date(2024, 1, 1), expiry_date=date(2024, 12, 31))
    future = support.in_force(world, effective_from=date(2024, 1, 1), expiry_date=date(2099, 12, 31))
    assert services.expire_due(on=date(2025, 1, 1)) == 1
    assert support.reload(past).status == Status.EXPIRED
    assert support.reload(future).status == Status.IN_FORCE
    assert services.expire_due(on=date(2025, 1, 1)) == 0  # nothing left to do: idempotent


def test_expire_refuses_an_agreement_that_is_not_in_force(world):
    agreement = support.draft(world, expiry_date=date(2020, 1, 1))
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_expire(agreement=agreement, on=date(2025, 1, 1))
    refused(excinfo, "status", "Only an agreement in force")


def test_a_new_agreement_that_enters_into_force_supersedes_the_old_one(world):
    old = support.in_force(world)
    new = support.draft(world, supersedes=old, title="Covenant, second edition")
    assert new.supersedes == old
    new = support.to_signing(world, new)
    new = support.sign(world.coordinator, new)
    assert support.reload(old).status == Status.IN_FORCE  # not before the new one is in force
    new = support.sign(world.member, new)
    assert new.status == Status.IN_FORCE
    old = support.reload(old)
    assert old.status == Status.SUPERSEDED
    assert "Covenant, second edition" in old.end_reason and old.ended_at is not None
    [superseded] = events("agreements.agreement.superseded", old)
    assert superseded.after == {"status": "superseded", "by": str(new.code)}


def test_only_an_agreement_in_force_of_the_same_partnership_can_be_superseded(world):
    draft = support.draft(world)
    with pytest.raises(ValidationError) as excinfo:
        support.draft(world, supersedes=draft)
    refused(excinfo, "supersedes", "in force")
    other = services.agreement_create(
        actor=world.coordinator_b, partnership=world.partnership_b, kind=Kind.MOU
    )
    with pytest.raises(ValidationError):
        support.draft(world, supersedes=other)


# Invalid transitions -------------------------------------------------------------------------------


def _at(world, state: str) -> Agreement:
    """An agreement brought to ``state`` through the services."""
    if state == "in_force":
        return support.in_force(world)
    agreement = support.draft(world)
    if state == "review":
        services.agreement_submit_for_review(actor=world.coordinator, agreement=agreement)
    if state in ("final", "signing", "terminated"):
        services.agreement_finalise(actor=world.coordinator, agreement=agreement)
    if state == "signing":
        services.agreement_open_signing(actor=world.coordinator, agreement=support.reload(agreement))
    if state == "terminated":
        services.agreement_terminate(actor=world.coordinator, agreement=support.reload(agreement), reason="x")
    return support.reload(agreement)


def _submit(actor, a):
    services.agreement_submit_for_review(actor=actor, agreement=a)


def _draft(actor, a):
    services.agreement_return_to_draft(actor=actor, agreement=a)


def _finalise(actor, a):
    services.agreement_finalise(actor=actor, agreement=a)


def _open(actor, a):
    services.agreement_open_signing(actor=actor, agreement=a)


def _terminate(actor, a):
    services.agreement_terminate(actor=actor, agreement=a, reason="Because")


def _save(actor, a):
    services.version_save(actor=actor, agreement=a, body="# Changed\n\n## Parties\n\nUs.\n")


def _comment(actor, a):
    services.comment_add(actor=actor, agreement=a, section="Parties", body="Add the school?")


def _sign(actor, a):
    services.agreement_sign(actor=actor, agreement=a, reauthenticated=True)


INVALID = [
    ("review", _submit, "status", "Only a draft can be sent for review (this agreement is In review)"),
    ("signing", _submit, "status", "Only a draft can be sent for review"),
    ("draft", _draft, "status", "Only an agreement in review or final"),
    ("signing", _draft, "status", "Only an agreement in review or final"),
    ("in_force", _draft, "status", "Only an agreement in review or final"),
    ("final", _finalise, "status", "(this one is Final)"),
    ("signing", _finalise, "status", "Only a draft or an agreement in review can be made final"),
    ("in_force", _finalise, "status", "(this one is In force)"),
    ("draft", _open, "status", "Only a final text can be opened for signature (this agreement is Draft)"),
    ("review", _open, "status", "Only a final text can be opened for signature"),
    ("signing", _open, "status", "(this agreement is Signing)"),
    ("draft", _terminate, "status", "a draft can simply be left"),
    ("review", _terminate, "status", "Only a final, signing or in-force agreement can be terminated"),
    ("terminated", _terminate, "status", "Only a final, signing or in-force agreement can be terminated"),
    ("final", _save, "body", "The text is frozen"),
    ("signing", _save, "body", "The text is frozen"),
    ("in_force", _save, "body", "The text is frozen"),
    ("draft", _comment, "status", "Comments are open while the agreement is in review"),
    ("final", _comment, "status", "Comments are open while the agreement is in review"),
    ("draft", _sign, "status", "not open for signature (it is Draft)"),
    ("final", _sign, "status", "not open for signature (it is Final)"),
    ("terminated", _sign, "status", "not open for signature (it is Terminated)"),
]


@pytest.mark.parametrize(
    ("state", "action", "field", "fragment"),
    INVALID,
    ids=[f"{s}-{a.__name__.strip('_')}" for s, a, _f, _m in INVALID],
)
def test_invalid_transitions_are_refused_with_a_reason_and_change_nothing(
    world, state, action, field, fragment
):
    support.signatories(world)
    agreement = _at(world, state)
    before_status, before_versions = agreement.status, agreement.versions.count()
    before_events, before_signatures = AuditEvent.objects.count(), Signature.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        action(world.coordinator, agreement)
    refused(excinfo, field, fragment)
    agreement = support.reload(agreement)
    assert agreement.status == before_status
    assert agreement.versions.count() == before_versions
    assert AuditEvent.objects.count() == before_events
    assert Signature.objects.count() == before_signatures


@pytest.mark.parametrize("action", [_submit, _finalise, _terminate, _save])
def test_members_and_viewers_cannot_move_the_lifecycle(world, action):
    agreement = _at(world, "draft")
    for persona in (world.member, world.viewer):
        with pytest.raises(PermissionDenied):
            action(persona, agreement)
    for stranger in (world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            action(stranger, agreement)
    assert support.reload(agreement).status == Status.DRAFT
    assert agreement.versions.count() == 1


def test_after_final_only_the_review_date_can_change(world):
    agreement = _at(world, "final")
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_update(actor=world.coordinator, agreement=agreement, title="Another title")
    refused(excinfo, "title", "Only the review date")
    services.agreement_update(actor=world.coordinator, agreement=agreement, review_date=date(2027, 1, 1))
    assert support.reload(agreement).review_date == date(2027, 1, 1)


# The frozen hash -----------------------------------------------------------------------------------


def test_finalise_records_the_sha256_of_the_latest_version_as_stored(world):
    agreement = support.draft(world)
    services.version_save(
        actor=world.coordinator,
        agreement=agreement,
        body=latest(agreement).body.replace("\n", "\r\n") + "\nSigned in Malmö.   \n",
    )
    services.agreement_finalise(actor=world.coordinator, agreement=agreement)
    agreement = support.reload(agreement)
    version = AgreementVersion.objects.get(pk=agreement.final_version_id)  # straight from the database
    assert version == latest(agreement)
    assert agreement.final_sha256 == texts.sha256(version.body) == version.sha256
    # The stored text is the canonical form itself: hashing its bytes gives the recorded hash.
    assert hashlib.sha256(version.body.encode("utf-8")).hexdigest() == agreement.final_sha256
    assert "\r" not in version.body and "Signed in Malmö.\n" in version.body


def test_no_version_can_be_saved_after_final_and_signatures_carry_the_frozen_hash(world):
    agreement = support.in_force(world)
    with pytest.raises(ValidationError) as excinfo:
        services.version_save(actor=world.coordinator, agreement=agreement, body="# Sneaky\n")
    refused(excinfo, "body", "frozen")
    assert agreement.versions.count() == 1
    signatures = list(Signature.objects.filter(agreement=agreement))
    assert len(signatures) == 2
    for signature in signatures:
        assert signature.version_id == agreement.final_version_id
        assert signature.text_sha256 == agreement.final_sha256 == signature.version.sha256


def test_saving_the_same_text_again_makes_no_new_version(world):
    agreement = support.draft(world)
    body = latest(agreement).body
    version, created = services.version_save(
        actor=world.coordinator, agreement=agreement, body=body + "  \n\n"
    )
    assert not created and version.number == 1
    assert agreement.versions.count() == 1


def test_a_tampered_stored_text_cannot_be_signed(world):
    support.signatories(world)
    agreement = support.to_signing(world, support.draft(world))
    AgreementVersion.objects.filter(pk=agreement.final_version_id).update(
        body=agreement.final_version.body.replace("Malmö stad", "Malmo stad")
    )
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_sign(actor=world.coordinator, agreement=agreement, reauthenticated=True)
    refused(excinfo, "body", "does not match its recorded hash")
    assert not Signature.objects.filter(agreement=agreement).exists()
    assert not events("agreements.signature.signed", agreement)


def test_a_tampered_recorded_hash_cannot_be_signed_either(world):
    support.signatories(world)
    agreement = support.to_signing(world, support.draft(world))
    AgreementVersion.objects.filter(pk=agreement.final_version_id).update(sha256="0" * 64)
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_sign(actor=world.coordinator, agreement=agreement, reauthenticated=True)
    refused(excinfo, "body", "does not match its recorded hash")


def test_a_tampered_text_cannot_be_made_final(world):
    agreement = support.draft(world)
    AgreementVersion.objects.filter(pk=latest(agreement).pk).update(body="# Something else\n")
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_finalise(actor=world.coordinator, agreement=agreement)
    refused(excinfo, "body", "does not match its hash")
    assert support.reload(agreement).status == Status.DRAFT


# Required sections per formality -------------------------------------------------------------------


def test_finalising_a_text_without_a_required_section_is_refused_naming_it(world):
    agreement = support.draft(world, formality=Formality.SPECIFIED)
    template = texts.get_template(Kind.COVENANT, "en")
    objectives = next(s for s in template.sections if s.key == "objectives")
    assert objectives.required_at(Formality.SPECIFIED)
    services.version_save(
        actor=world.coordinator,
        agreement=agreement,
        body=without_section(latest(agreement).body, objectives.heading),
    )
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_finalise(actor=world.coordinator, agreement=agreement)
    refused(excinfo, "body", f"Required section “{objectives.heading}” is missing.")
    assert support.reload(agreement).status == Status.DRAFT
    assert not events("agreements.agreement.finalised", agreement)


def test_an_empty_required_section_is_refused_and_a_missing_title_too(world):
    agreement = support.draft(world)
    body = with_empty_section(latest(agreement).body, "Parties")
    services.version_save(actor=world.coordinator, agreement=agreement, body=body)
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_finalise(actor=world.coordinator, agreement=agreement)
    refused(excinfo, "body", "Required section “Parties” is empty.")

    services.version_save(actor=world.coordinator, agreement=agreement, body=body.split("\n", 1)[1])
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_finalise(actor=world.coordinator, agreement=agreement)
    refused(excinfo, "body", "no title")


def test_general_needs_fewer_sections_than_fixed(world):
    template = texts.get_template(Kind.COVENANT, "en")
    general = {s.key for s in template.required_sections(Formality.GENERAL)}
    specified = {s.key for s in template.required_sections(Formality.SPECIFIED)}
    fixed = {s.key for s in template.required_sections(Formality.FIXED)}
    assert general < specified < fixed
    assert {"parties", "purpose", "duration"} <= general
    assert "disputes" in fixed - specified

    # A text with only the sections a general agreement needs: final at general, refused at fixed.
    sections = [s for s in template.sections if s.key in general]
    body = "# A short covenant\n\n" + "\n\n".join(f"## {s.heading}\n\nAgreed." for s in sections) + "\n"
    short = support.draft(world, formality=Formality.GENERAL)
    services.version_save(actor=world.coordinator, agreement=short, body=body)
    services.agreement_finalise(actor=world.coordinator, agreement=short)
    assert support.reload(short).status == Status.FINAL

    strict = support.draft(world, formality=Formality.FIXED)
    services.version_save(actor=world.coordinator, agreement=strict, body=body)
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_finalise(actor=world.coordinator, agreement=strict)
    messages = excinfo.value.message_dict["body"]
    missing = [s.heading for s in template.required_sections(Formality.FIXED) if s.key not in general]
    assert len(messages) == len(missing)
    for heading in missing:
        assert any(f"“{heading}”" in m for m in messages), (heading, messages)


def test_the_draft_from_the_template_can_be_made_final_at_every_level(world):
    for formality in Formality.values:
        agreement = support.draft(world, formality=formality)
        services.agreement_finalise(actor=world.coordinator, agreement=agreement)
        assert support.reload(agreement).status == Status.FINAL


# Comments (only in review) -------------------------------------------------------------------------


def test_comments_in_review_are_audited_and_must_name_an_existing_section(world):
    agreement = _at(world, "review")
    comment = services.comment_add(actor=world.member, agreement=agreement, section="Parties", body="Add us.")
    assert comment.partner.organisation == world.org_city_a
    [added] = events("agreements.comment.added", comment)
    assert added.after["section"] == "Parties"
    with pytest.raises(ValidationError) as excinfo:
        services.comment_add(actor=world.member, agreement=agreement, section="Nowhere", body="?")
    refused(excinfo, "section", "Nowhere")
    with pytest.raises(PermissionDenied):
        services.comment_add(actor=world.viewer, agreement=agreement, section="Parties", body="Me too")
    with pytest.raises(Http404):
        services.comment_add(actor=world.outsider, agreement=agreement, section="Parties", body="Hi")


def test_review_dates_must_fit_the_term(world):
    with pytest.raises(ValidationError) as excinfo:
        support.draft(world, effective_from=date(2025, 1, 1), expiry_date=date(2025, 1, 1))
    refused(excinfo, "expiry_date", "after the date it enters into force")
    with pytest.raises(ValidationError) as excinfo:
        support.draft(world, review_date=date(2026, 1, 1), expiry_date=date(2025, 12, 31))
    refused(excinfo, "review_date", "not be after the expiry date")
    assert not Agreement.objects.exists()


def test_time_is_taken_from_the_clock(world):
    with clock.frozen(T0):
        agreement = support.draft(world)
        clock.advance(timedelta(hours=1))
        services.agreement_submit_for_review(actor=world.coordinator, agreement=agreement)
    agreement = support.reload(agreement)
    assert agreement.created_at == T0
    assert agreement.updated_at == T0 + timedelta(hours=1)
