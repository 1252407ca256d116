"""Agreement pages, access for every URL name: anonymous to the login page, outsiders (and another
partnership's coordinator) 404, viewers 403 on every write, members 403 on coordinators' writes, and a
refused request changes nothing."""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safepact.accounts.sudo import SESSION_KEY
from safepact.agreements import documents, services
from safepact.agreements.models import Agreement, Comment, Party
from safepact.agreements.tests import support
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.partnerships.models import Partner


@dataclass
class Things:
    draft: Agreement  # police, city (shop not a party yet); two versions
    review: Agreement  # in review, with the member's comment
    comment: Comment
    signing: Agreement  # open for signature
    shop_party: Party  # the shop's party in ``signing``
    shop_partner: Partner
    draft_party: Party  # the city's party in ``draft``


@pytest.fixture
def things(world):
    support.signatories(world)  # coordinator (police) and member (city) may sign
    partners = {p.organisation_id: p for p in Partner.objects.filter(partnership=world.partnership_a)}
    police, city, shop = (partners[o.pk] for o in (world.org_police_a, world.org_city_a, world.org_shop_a))
    draft = support.draft(world, partner_codes=[police.code, city.code])
    services.version_save(
        actor=world.coordinator, agreement=support.reload(draft), body="# Covenant\n\n## Parties\n\nUs.\n"
    )
    review = support.draft(world)
    services.agreement_submit_for_review(actor=world.coordinator, agreement=support.reload(review))
    review = support.reload(review)
    review.partnership = world.partnership_a
    comment = services.comment_add(
        actor=world.member, agreement=get_for(world.member, review), section="Parties", body="Add our unit."
    )
    signing = support.to_signing(world, support.draft(world))
    return Things(
        draft=draft,
        review=review,
        comment=comment,
        signing=signing,
        shop_party=signing.parties.get(partner=shop),
        shop_partner=shop,
        draft_party=draft.parties.get(partner=city),
    )


def get_for(user, agreement):
    from safepact.agreements.selectors import get_agreement_for_user

    return get_agreement_for_user(user, agreement.partnership.code, agreement.code, write=True)


@pytest.fixture
def fake_documents(monkeypatch):
    """The exports replaced by stand-ins that record their call (rendering has its own tests)."""
    calls = []

    def export(fmt):
        def fake(*, actor, agreement, version):
            calls.append((fmt, actor, agreement.pk, version.number))
            return f"{fmt} of v{version.number}".encode(), f"agreement-v{version.number}.{fmt}"

        return fake

    monkeypatch.setattr(documents, "export_pdf", export("pdf"))
    monkeypatch.setattr(documents, "export_docx", export("docx"))
    monkeypatch.setattr(
        documents,
        "verify_pdf",
        lambda *, user, data: documents.Verification(ok=False, message="Unknown file.", verdict="unknown"),
    )
    return calls


def pdf_upload():
    return SimpleUploadedFile("a.pdf", b"%PDF-1.7\n%%EOF\n", content_type="application/pdf")


# (url name, agreement attribute or None, extra args, method, need, data)
# need: read = any member; write = member or coordinator; manage = coordinator
def pages(world, t):
    d, r, s = t.draft, t.review, t.signing
    return {
        "list": ("list", None, [], "get", "read", None),
        "create": ("create", None, [], "get", "manage", None),
        "create post": (
            "create",
            None,
            [],
            "post",
            "manage",
            {"kind": "mou", "formality": "general", "language": "en", "parties": [str(t.shop_partner.code)]},
        ),
        "settings": ("settings", None, [], "get", "manage", None),
        "settings post": (
            "settings",
            None,
            [],
            "post",
            "manage",
            {"require_confidentiality": "on", "review_notice_days": "20", "expiry_notice_days": "40"},
        ),
        "verify": ("verify", None, [], "get", "read", None),
        "verify post": ("verify", None, [], "post", "read", "upload"),
        "detail": ("detail", d, [], "get", "read", None),
        "update": ("update", d, [], "get", "manage", None),
        "update post": ("update", d, [], "post", "manage", {"title": "New title", "formality": "fixed"}),
        "edit": ("edit", d, [], "get", "manage", None),
        "edit post": ("edit", d, [], "post", "manage", {"body": "# C\n\n## Parties\n\nWe.\n", "note": "n"}),
        "preview": ("preview", d, [], "post", "manage", {"body": "# C\n\n## Parties\n"}),
        "version": ("version", d, [1], "get", "read", None),
        "compare": ("compare", d, [], "get", "read", None),
        "transition": ("transition", d, ["submit"], "post", "manage", {}),
        "sign": ("sign", s, [], "get", "write", None),
        "sign post": ("sign", s, [], "post", "write", {}),
        "accede": ("accede", s, [], "get", "write", None),
        "accede post": ("accede", s, [], "post", "write", {}),
        "party add": ("party_add", d, [], "get", "manage", None),
        "party add post": (
            "party_add",
            d,
            [],
            "post",
            "manage",
            {"partner": str(t.shop_partner.code), "required": "on"},
        ),
        "party update": ("party_update", d, [t.draft_party.code], "post", "manage", {"required": "false"}),
        "party remove": ("party_remove", d, [t.draft_party.code], "post", "manage", {}),
        "withdraw": ("withdraw", s, [t.shop_party.code], "get", "withdraw", None),
        "withdraw post": (
            "withdraw",
            s,
            [t.shop_party.code],
            "post",
            "withdraw",
            {"on_date": "2030-01-01", "reason": "Leaves the area."},
        ),
        "comment add": ("comment_add", r, [], "get", "write", None),
        "comment add post": ("comment_add", r, [], "post", "write", {"section": "", "body": "Fine."}),
        "comment resolve": ("comment_resolve", r, [t.comment.code], "post", "write", {}),
        "pdf": ("pdf", s, [1], "get", "read", None),
        "docx": ("docx", s, [1], "get", "read", None),
    }


def url_of(world, name, agreement, extra):
    args = [world.partnership_a.code]
    if agreement is not None:
        args.append(agreement.code)
    return reverse(f"agreements:{name}", args=[*args, *extra])


def request(client, method, url, data):
    if data == "upload":
        return client.post(url, {"file": pdf_upload()})
    return getattr(client, method)(url, data or {})


def expected_for(persona, need):
    if persona in ("outsider", "coordinator_b"):
        return {404}
    if need == "read":
        return {200}
    if persona == "viewer":
        return {403}
    if persona == "member" and need in ("manage", "withdraw"):
        return {403}  # the member signs for the city, not for the shop
    return {200, 302}


URL_CASES = [
    "list", "create", "create post", "settings", "settings post", "verify", "verify post", "detail",
    "update", "update post", "edit", "edit post", "preview", "version", "compare", "transition", "sign",
    "sign post", "accede", "accede post", "party add", "party add post", "party update", "party remove",
    "withdraw", "withdraw post", "comment add", "comment add post", "comment resolve", "pdf", "docx",
]  # fmt: skip


def test_every_url_name_is_covered(world, things):
    from safepact.agreements.views import urlpatterns

    named = {p.name for p in urlpatterns}
    covered = {pages(world, things)[case][0] for case in URL_CASES}
    assert named == covered


@pytest.mark.parametrize("case", URL_CASES)
def test_access(client, world, things, fake_documents, case):
    name, agreement, extra, method, need, data = pages(world, things)[case]
    url = url_of(world, name, agreement, extra)

    response = request(client, method, url, data)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))

    for persona in ("outsider", "coordinator_b", "viewer", "member", "coordinator"):
        client.force_login(getattr(world, persona))
        session = client.session
        session[SESSION_KEY] = clock.now().timestamp() + 600  # re-authenticated: only the role decides
        session.save()
        before = AuditEvent.objects.count()
        response = request(client, method, url, data)
        assert response.status_code in expected_for(persona, need), (persona, response.content[:400])
        if response.status_code >= 400 and method == "post":
            assert AuditEvent.objects.count() == before, f"{persona}: a refused request changes nothing"
        client.logout()


def test_another_partnerships_agreement_is_not_found_through_this_partnership(client, world, things):
    theirs = services.agreement_create(
        actor=world.coordinator_b, partnership=world.partnership_b, kind="covenant", language="en"
    )
    client.force_login(world.coordinator)
    wrong = reverse("agreements:detail", args=[world.partnership_a.code, theirs.code])
    assert client.get(wrong).status_code == 404
    assert (
        client.post(
            reverse("agreements:transition", args=[world.partnership_a.code, theirs.code, "submit"])
        ).status_code
        == 404
    )
    client.force_login(world.coordinator_b)
    mine = reverse("agreements:detail", args=[world.partnership_b.code, theirs.code])
    assert client.get(mine).status_code == 200
    assert (
        client.get(
            reverse("agreements:detail", args=[world.partnership_b.code, things.draft.code])
        ).status_code
        == 404
    )


def test_unknown_version_party_comment_and_action_are_not_found(client, world, things):
    client.force_login(world.coordinator)
    a = world.partnership_a.code
    assert client.get(reverse("agreements:version", args=[a, things.draft.code, 99])).status_code == 404
    assert (
        client.post(
            reverse("agreements:party_remove", args=[a, things.draft.code, things.shop_party.code])
        ).status_code
        == 404
    )  # the shop's party of another agreement
    assert (
        client.post(
            reverse("agreements:comment_resolve", args=[a, things.draft.code, things.comment.code])
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("agreements:transition", args=[a, things.draft.code, "publish"])).status_code
        == 404
    )


def test_actions_refuse_get(client, world, things):
    client.force_login(world.coordinator)
    a = world.partnership_a.code
    for name, args in [
        ("transition", [things.draft.code, "submit"]),
        ("preview", [things.draft.code]),
        ("party_update", [things.draft.code, things.draft_party.code]),
        ("party_remove", [things.draft.code, things.draft_party.code]),
        ("comment_resolve", [things.review.code, things.comment.code]),
    ]:
        assert client.get(reverse(f"agreements:{name}", args=[a, *args])).status_code == 405, name
