"""Agreements (issue 4): the confidentiality gate, PDF export and verification, signing state and the list.

    uv run python bench/agreements.py [--items 1000,20000] [--repeat 100] [--pdf-repeat 3] [--agreements 200]

1. The confidentiality gate: ``partnerships.tlp.visible_to`` over N labelled items (the test-only
   ``tlpdemo.Note``; 10% TLP:GREEN, 90% AMBER, AMBER+STRICT or RED, all addressed to the person) in a
   partnership that requires the confidentiality agreement, which the person's organisation signed.
   Baselines in the same run: a plain ``.filter(partnership=...)``, and ``visible_to`` with no gate
   registered. Also shown: the gate registered but not required by the partnership, and a person whose
   organisation did not sign (everything restricted withheld). A page (first 50) and ``.count()``.
2. ``documents.export_pdf`` of a covenant with 3 and 20 signatures and a text of about 10 and 40 pages, and
   ``documents.verify_pdf_any`` of the file; baselines: ``texts.sha256`` of the text, ``pypdf.PdfReader``
   opening the file.
3. ``selectors.signing_state`` and ``selectors.agreement_list`` with 200 agreements x 5 versions x 10
   parties; baselines: one plain query for an agreement's parties, one for the partnership's agreements.

People, organisations, the partnership and every agreement that is measured are made through the services
(audited, as in production); the labelled items and the 200 listed agreements are bulk-inserted.
"""

import argparse
import io
import os
import time

os.environ.setdefault("SAFEPACT_TEST_APPS", "1")  # before Django starts: installs the labelled demo model
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"  # invitations send no mail

from _setup import percentile, setup_django

PAGE = 50
TEXT = (
    "the partners share information on the premises and persons concerned only when it is necessary for "
    "the purpose of this covenant and within the limits of the law each partner remains responsible for "
    "its own processing and informs the others without delay of any incident"
)


def measure(fn, repeat: int, *, warm_up: bool = True, budget: float = 3.0) -> tuple[float, float, int]:
    """p50 and p95 in milliseconds, and the number of samples: up to ``repeat`` calls (after one warm-up
    call, unless the caller made one), stopping early after ``budget`` seconds once 5 samples are in."""
    if warm_up:
        fn(0)
    samples, began = [], time.perf_counter()
    for n in range(repeat):
        start = time.perf_counter()
        fn(n)
        samples.append((time.perf_counter() - start) * 1000)
        if len(samples) >= 5 and time.perf_counter() - began > budget:
            break
    return percentile(samples, 50), percentile(samples, 95), len(samples)


def row(label: str, figures: tuple[float, float, int], base: tuple[float, float, int] | None = None) -> str:
    ratio = f" ({figures[1] / base[1]:.1f}x baseline p95)" if base else ""
    return f"  {label:<50} p50 {figures[0]:9.3f} ms  p95 {figures[1]:9.3f} ms  n={figures[2]:<3}{ratio}"


def filler(pages: int, seed: int) -> str:
    """About ``pages`` A4 pages of Markdown (one annex section a page: four paragraphs and a list)."""
    chunks, k, words = [], seed, TEXT.split()
    for page in range(pages):
        chunks.append(f"## Annex {page + 1}: working arrangement {page + 1}\n")
        for _paragraph in range(4):
            sentence = [words[(k + i * 7) % len(words)] for i in range(110)]
            k += 13
            chunks.append(" ".join(sentence).capitalize() + ".\n")
        chunks.append(
            "\n".join(
                f"- {' '.join(words[(k + j + 5 * m) % len(words)] for j in range(12))}" for m in range(3)
            )
        )
        chunks.append("")
    return "\n\n".join(chunks)


def build_world(partners: int):
    """A partnership of the police (coordinator) and ``partners`` organisations, one signatory each."""
    from safepact.accounts.services import organisation_create, user_create
    from safepact.partnerships.models import Membership
    from safepact.partnerships.services import invitation_accept, invitation_create, partnership_create

    coordinator = user_create(
        email="coordinator@polisen.example", full_name="Cora Coordinator", password=None
    )
    police = organisation_create(
        actor=coordinator, name="Polisen Malmö", kind="law_enforcement", country="SE"
    )
    partnership = partnership_create(
        actor=coordinator,
        organisation=police,
        name="Sofielund safety partnership",
        purpose="A safe and attractive Sofielund.",
        country="SE",
    )
    people = []
    for i in range(partners):
        user = user_create(email=f"signatory{i}@org{i}.example", full_name=f"Signatory {i}", password=None)
        _invitation, token = invitation_create(
            actor=coordinator,
            partnership=partnership,
            email=user.email,
            role="member",
            new_organisation={"name": f"Partner organisation {i:02d}", "kind": "business", "country": "SE"},
        )
        invitation_accept(user=user, token=token)
        people.append(user)
    # The signatory flag directly, as the agreements tests do (the partnerships service has its own tests).
    Membership.objects.filter(partner__partnership=partnership).update(is_signatory=True)
    return coordinator, partnership, people


def bring_into_force(coordinator, partnership, kind, signers, *, body_extra: str = "", **kwargs):
    """Draft (parties: the signers' organisations), optionally lengthen the text, finalise, sign."""
    from safepact.agreements import services
    from safepact.agreements.models import Agreement
    from safepact.partnerships.models import Membership

    codes = [
        m.partner.code
        for m in Membership.objects.filter(partner__partnership=partnership, user__in=signers).select_related(
            "partner"
        )
    ]
    agreement = services.agreement_create(
        actor=coordinator, partnership=partnership, kind=kind, language="en", partner_codes=codes, **kwargs
    )
    if body_extra:
        body = agreement.versions.get().body
        services.version_save(actor=coordinator, agreement=agreement, body=body + "\n" + body_extra)
    services.agreement_finalise(actor=coordinator, agreement=Agreement.objects.get(pk=agreement.pk))
    services.agreement_open_signing(actor=coordinator, agreement=Agreement.objects.get(pk=agreement.pk))
    for user in signers:
        services.agreement_sign(
            actor=user, agreement=Agreement.objects.get(pk=agreement.pk), reauthenticated=True
        )
    return Agreement.objects.select_related("partnership", "final_version").get(pk=agreement.pk)


# 1. The confidentiality gate ---------------------------------------------------------------------


def bench_gate(args, coordinator, partnership, people) -> None:
    from safepact.agreements.models import Kind, Status
    from safepact.agreements.services import agreement_settings_update
    from safepact.lib.tests.tlpdemo.models import Note
    from safepact.lib.tlp import TLP
    from safepact.partnerships import tlp
    from safepact.partnerships.models import Membership

    signed_user, unsigned_user = people[0], people[1]
    agreement = bring_into_force(
        coordinator, partnership, Kind.CONFIDENTIALITY, [coordinator, signed_user], quorum=2
    )
    assert agreement.status == Status.IN_FORCE, agreement.status
    assert tlp.GATES, "the agreements app did not register its confidentiality gate"
    agreement_settings_update(actor=coordinator, partnership=partnership, require_confidentiality=True)

    orgs = list(
        Membership.objects.filter(
            partner__partnership=partnership, user__in=[coordinator, *people[:2]]
        ).values_list("partner__organisation_id", flat=True)
    )
    OrgLink = Note.recipient_organisations.through
    PersonLink = Note.recipient_people.through
    labels = [TLP.GREEN] + [TLP.AMBER] * 5 + [TLP.AMBER_STRICT] * 2 + [TLP.RED] * 2  # 90% restricted

    def add_items(start: int, stop: int) -> None:
        for low in range(start, stop, 5000):
            high = min(stop, low + 5000)
            notes = Note.objects.bulk_create(
                [
                    Note(
                        partnership=partnership, title=f"Item {i}", tlp=labels[i % 10], created_by=coordinator
                    )
                    for i in range(low, high)
                ]
            )
            OrgLink.objects.bulk_create(
                [
                    OrgLink(note_id=note.pk, organisation_id=org)
                    for note in notes
                    if note.tlp in (TLP.AMBER, TLP.AMBER_STRICT)
                    for org in orgs
                ]
            )
            PersonLink.objects.bulk_create(
                [
                    PersonLink(note_id=note.pk, user_id=user.pk)
                    for note in notes
                    if note.tlp == TLP.RED
                    for user in (signed_user, unsigned_user)
                ]
            )

    def set_required(value: bool) -> None:
        agreement_settings_update(actor=coordinator, partnership=partnership, require_confidentiality=value)

    base_qs = Note.objects.filter(partnership=partnership).order_by("id")
    gates = list(tlp.GATES)
    have = 0
    for n in args.items:
        add_items(have, n)
        have = n
        repeat = args.repeat
        results = {}
        set_required(True)
        results["plain .filter(partnership=...) (baseline)"] = page_and_count(lambda: base_qs, n, repeat)
        tlp.GATES[:] = []
        try:
            results["visible_to, no gate registered (baseline)"] = page_and_count(
                lambda: tlp.visible_to(signed_user, base_qs), n, repeat
            )
        finally:
            tlp.GATES[:] = gates
        set_required(False)
        results["visible_to, gate on, not required"] = page_and_count(
            lambda: tlp.visible_to(signed_user, base_qs), n, repeat
        )
        set_required(True)
        results["visible_to, required, organisation signed"] = page_and_count(
            lambda: tlp.visible_to(signed_user, base_qs), n, repeat
        )
        results["visible_to, required, organisation not signed"] = page_and_count(
            lambda: tlp.visible_to(unsigned_user, base_qs), (n + 9) // 10, repeat
        )
        print_gate(n, repeat, results)


def page_and_count(make_qs, expected: int, repeat: int):
    """(first page, count) figures of the queryset ``make_qs()`` builds, after checking its size."""
    found = make_qs().count()
    assert found == expected, (found, expected)
    return (
        measure(lambda _n: list(make_qs()[:PAGE]), repeat),
        measure(lambda _n: make_qs().count(), repeat),
    )


def print_gate(n: int, repeat: int, results: dict) -> None:
    print(f"\n1. confidentiality gate, {n:,} items (90% restricted), up to {repeat} calls per figure")
    plain = results["plain .filter(partnership=...) (baseline)"]
    ungated = results["visible_to, no gate registered (baseline)"]
    for what, index in ((f"first {PAGE}", 0), (".count()", 1)):
        print(f" {what}:")
        for label, figures in results.items():
            p50, p95, samples = figures[index]
            ratio = ""
            if not label.endswith("(baseline)"):
                ratio = f" ({p95 / plain[index][1]:.1f}x plain, {p95 / ungated[index][1]:.2f}x no gate, p95)"
            elif label.startswith("visible_to"):
                ratio = f" ({p95 / plain[index][1]:.1f}x plain, p95)"
            print(f"  {label:<48} p50 {p50:8.3f} ms  p95 {p95:8.3f} ms  n={samples:<3}{ratio}")


# 2. PDF export and verification ------------------------------------------------------------------


def bench_documents(args, coordinator, partnership, people) -> None:

    from safepact.agreements.models import Kind

    print(
        f"\n2. documents, {args.pdf_repeat} exports, up to {max(5, args.repeat // 5)} verifications (and baselines)"
    )
    for signatures in (3, 20):
        for pages in (10, 40):
            agreement = bring_into_force(
                coordinator,
                partnership,
                Kind.COVENANT,
                [coordinator, *people[: signatures - 1]],
                body_extra=filler(round((pages - 6) * 1.07), seed=signatures + pages),  # + template text etc.
                title=f"Covenant, {signatures} signatures, {pages} pages",
            )
            assert agreement.signatures.count() == signatures
            bench_document(args, coordinator, agreement, signatures)


def bench_document(args, coordinator, agreement, signatures: int) -> None:
    from pypdf import PdfReader

    from safepact.agreements import documents, texts

    version = agreement.final_version
    start = time.perf_counter()
    data, _name = documents.export_pdf(actor=coordinator, agreement=agreement, version=version)
    first = (time.perf_counter() - start) * 1000
    page_count = len(PdfReader(io.BytesIO(data)).pages)
    export = measure(
        lambda _n: documents.export_pdf(actor=coordinator, agreement=agreement, version=version),
        args.pdf_repeat,
        warm_up=False,
    )
    verdict = documents.verify_pdf_any(data)
    assert verdict.ok and verdict.verdict == "signed", verdict.message
    small = max(5, args.repeat // 5)
    sha = measure(lambda _n: texts.sha256(version.body), small)
    reader = measure(lambda _n: PdfReader(io.BytesIO(data)), small)
    verify = measure(lambda _n: documents.verify_pdf_any(data), small)
    print(
        f" {signatures} signatures, {page_count} pages ({len(version.body):,} characters, "
        f"PDF {len(data) / 1024:,.0f} KB; first export {first:,.0f} ms):"
    )
    print(row("baseline texts.sha256 of the text", sha))
    print(row("export_pdf (render, record, audit)", export, sha))
    print(row("baseline pypdf.PdfReader opening the file", reader))
    print(row("verify_pdf_any", verify, reader))


# 3. Signing state and the agreement list ---------------------------------------------------------


def bench_lists(args, coordinator, people) -> None:
    from django.test import Client
    from django.urls import reverse

    from safepact.accounts.models import Organisation
    from safepact.agreements import texts
    from safepact.agreements.models import Agreement, AgreementVersion, Kind, Party, Signature, Status
    from safepact.agreements.selectors import agreement_list, agreement_queryset, signing_state
    from safepact.lib import clock
    from safepact.partnerships.models import Membership, Partner, PartnerStatus
    from safepact.partnerships.services import partnership_create

    police = Organisation.objects.get(name="Polisen Malmö")
    partnership = partnership_create(
        actor=coordinator, organisation=police, name="Listed agreements", purpose="Many.", country="SE"
    )
    memberships = list(
        Membership.objects.filter(
            user__in=people[:9], partner__partnership__name="Sofielund safety partnership"
        )
        .select_related("partner__organisation", "user")
        .order_by("user__email")
    )
    others = Partner.objects.bulk_create(
        [
            Partner(
                partnership=partnership,
                organisation=m.partner.organisation,
                status=PartnerStatus.ACTIVE,
                joined_at=clock.now(),
            )
            for m in memberships
        ]
    )
    partners = [Partner.objects.get(partnership=partnership, organisation=police), *others]
    signers = [(coordinator, "Polisen Malmö")] + [(m.user, m.partner.organisation.name) for m in memberships]
    statuses = (
        [Status.IN_FORCE] * 4 + [Status.SIGNING] * 2 + [Status.DRAFT] * 2 + [Status.REVIEW, Status.TERMINATED]
    )
    kinds = Kind.values
    agreements = Agreement.objects.bulk_create(
        [
            Agreement(
                partnership=partnership,
                kind=kinds[i % len(kinds)],
                formality="specified",
                language="en",
                title=f"Agreement {i}",
                created_by=coordinator,
            )
            for i in range(args.agreements)
        ]
    )
    versions = AgreementVersion.objects.bulk_create(
        [
            AgreementVersion(
                agreement=a,
                number=v,
                body=(body := f"# Agreement {i}\n\n## Purpose\n\nVersion {v}. " + "Text. " * 300 + "\n"),
                sha256=texts.sha256(body),
                created_by=coordinator,
            )
            for i, a in enumerate(agreements)
            for v in range(1, 6)
        ]
    )
    parties = Party.objects.bulk_create([Party(agreement=a, partner=p) for a in agreements for p in partners])
    signatures = []
    for i, agreement in enumerate(agreements):
        status = statuses[i % len(statuses)]
        if status in (Status.DRAFT, Status.REVIEW):
            agreement.status = status
            continue
        final = versions[i * 5 + 4]
        agreement.status, agreement.final_version, agreement.final_sha256 = status, final, final.sha256
        signed = len(partners) // 2 if status == Status.SIGNING else len(partners)
        for k in range(signed):
            user, organisation = signers[k]
            signatures.append(
                Signature(
                    agreement=agreement,
                    version=final,
                    party=parties[i * len(partners) + k],
                    signer=user,
                    signer_name=user.full_name,
                    organisation_name=organisation,
                    text_sha256=final.sha256,
                    method="session",
                )
            )
    Agreement.objects.bulk_update(agreements, ["status", "final_version", "final_sha256"])
    Signature.objects.bulk_create(signatures)

    loaded = list(
        agreement_queryset().filter(partnership=partnership, status__in=[Status.IN_FORCE, Status.SIGNING])
    )
    repeat = args.repeat
    print(
        f"\n3. {args.agreements} agreements x 5 versions x {len(partners)} parties ({len(signatures):,} "
        f"signatures), up to {repeat} calls per figure"
    )
    parties_base = measure(lambda n: list(Party.objects.filter(agreement=loaded[n % len(loaded)])), repeat)
    state = measure(lambda n: signing_state(loaded[n % len(loaded)]), repeat)
    assert signing_state(loaded[0]).signed_count in (len(partners), len(partners) // 2)
    print(row("baseline: one agreement's parties, plain query", parties_base))
    print(row("signing_state (one agreement)", state, parties_base))

    list_base = measure(
        lambda _n: list(Agreement.objects.filter(partnership=partnership).order_by("-created_at", "-id")),
        repeat,
    )
    whole = measure(lambda _n: list(agreement_list(user=coordinator, partnership=partnership)), repeat)
    page = measure(
        lambda _n: (
            list(agreement_list(user=coordinator, partnership=partnership)[:PAGE]),
            agreement_list(user=coordinator, partnership=partnership).count(),
        ),
        repeat,
    )
    assert len(list(agreement_list(user=coordinator, partnership=partnership))) == args.agreements
    print(row(f"baseline: all {args.agreements} agreements, plain query", list_base))
    print(row(f"agreement_list, all {args.agreements} (the list page's query)", whole, list_base))
    print(row(f"agreement_list, API page: first {PAGE} + count", page, list_base))

    client = Client()
    client.force_login(coordinator)
    url = reverse("agreements:list", kwargs={"code": partnership.code})
    response = client.get(url)
    if response.status_code == 200:
        request = measure(lambda _n: client.get(url), max(10, repeat // 5))
        print(row(f"list page, whole request ({args.agreements} agreements)", request))
    else:
        print(f"  list page: {url} answered {response.status_code}; not measured")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", default="1000,20000", help="comma-separated numbers of labelled items")
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--pdf-repeat", type=int, default=3)
    parser.add_argument("--agreements", type=int, default=200)
    args = parser.parse_args()
    args.items = sorted(int(n) for n in args.items.split(","))
    vendor = setup_django()

    from django.db import transaction

    started = time.perf_counter()
    with transaction.atomic():
        coordinator, partnership, people = build_world(partners=20)
    print(
        f"database: {vendor}; items: {', '.join(f'{n:,}' for n in args.items)}; agreements: {args.agreements}; "
        "each figure stops early after 3 s once it has 5 samples (n)"
    )
    bench_gate(args, coordinator, partnership, people)
    bench_documents(args, coordinator, partnership, people)
    bench_lists(args, coordinator, people)
    print(f"\ntotal run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
