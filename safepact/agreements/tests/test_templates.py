"""Templates as data files: the twelve shipped files parse and carry the standard sections of their type;
the first draft is filled from the partnership's own data (partners, objectives, task table) but never
with restricted text; a deployment's own folder is used, and a broken file is reported by name."""

import os
import re
import textwrap

import pytest
from django.core.exceptions import ValidationError

from safepact.agreements import services, texts
from safepact.agreements.models import Formality, Kind
from safepact.agreements.selectors import prefill_context
from safepact.agreements.tests import support
from safepact.formation.services.problem import problem_statement_update
from safepact.formation.services.structure import assignment_set, task_create
from safepact.formation.tests.objectives_support import add_objectives

#: The standard sections of each type (the issue's list; a type leaves out what does not apply to it).
EXPECTED_KEYS = {
    Kind.MOU: {
        "parties", "purpose", "objectives", "roles", "governance", "resources", "confidentiality",
        "monitoring", "accession", "disputes", "duration",
    },
    Kind.COVENANT: {
        "parties", "purpose", "objectives", "roles", "governance", "resources", "confidentiality",
        "monitoring", "accession", "disputes", "duration",
    },
    Kind.CODE_OF_CONDUCT: {
        "parties", "purpose", "objectives", "roles", "governance", "confidentiality", "monitoring",
        "accession", "disputes", "duration",
    },
    Kind.MISSION_STATEMENT: {
        "parties", "purpose", "objectives", "roles", "governance", "confidentiality", "monitoring",
        "accession", "duration",
    },
    Kind.CONFIDENTIALITY: {
        "parties", "purpose", "roles", "confidentiality", "data_protection", "monitoring", "accession",
        "disputes", "duration",
    },
    Kind.DATA_SHARING: {
        "parties", "purpose", "objectives", "roles", "governance", "confidentiality", "data_protection",
        "monitoring", "accession", "disputes", "duration",
    },
}  # fmt: skip

FULL_CONTEXT = {name: f"<{name}>" for name in texts.PLACEHOLDERS}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def templates_by(kind, language):
    return next(t for t in texts.all_templates() if (t.kind, t.language) == (kind, language))


# The shipped files ---------------------------------------------------------------------------------


def test_all_twelve_templates_parse():
    found = texts.all_templates()
    assert sorted((t.kind, t.language) for t in found) == sorted(
        (kind, language) for kind in Kind.values for language in ("en", "nl")
    )
    for template in found:
        assert template.source.endswith(f"{template.language}/{template.kind}.toml")
        assert template.title and template.sections


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("kind", Kind.values)
def test_each_template_has_the_standard_sections_of_its_type_in_order(kind, language):
    template = templates_by(kind, language)
    keys = [s.key for s in template.sections]
    assert set(keys) == EXPECTED_KEYS[kind]
    assert keys == [key for key in texts.SECTION_KEYS if key in keys]  # the README's order, no duplicates
    headings = [texts.normalise_heading(s.heading) for s in template.sections]
    assert len(set(headings)) == len(headings)
    for key in ("parties", "purpose", "duration"):  # every agreement says who, what for and how long
        assert next(s for s in template.sections if s.key == key).required_at(Formality.GENERAL)
    for section in template.sections:
        assert section.text, section.heading


@pytest.mark.parametrize("kind", Kind.values)
def test_english_and_dutch_require_the_same_sections_at_each_level(kind):
    en, nl = templates_by(kind, "en"), templates_by(kind, "nl")
    assert [(s.key, s.required_from) for s in en.sections] == [(s.key, s.required_from) for s in nl.sections]
    assert en.title != nl.title


def test_data_protection_is_required_in_the_data_sharing_agreement_only():
    for language in ("en", "nl"):
        sharing = templates_by(Kind.DATA_SHARING, language)
        protection = next(s for s in sharing.sections if s.key == "data_protection")
        assert protection.required_from == "general"
        assert all(protection in sharing.required_sections(level) for level in Formality.values)
        for kind in set(Kind.values) - {Kind.DATA_SHARING}:
            template = templates_by(kind, language)
            assert "data_protection" not in {s.key for s in template.required_sections(Formality.FIXED)}
    text = next(s for s in templates_by(Kind.DATA_SHARING, "en").sections if s.key == "data_protection")
    for topic in ("controller", "legal basis", "retention"):
        assert topic in (text.heading + text.text).lower()


@pytest.mark.parametrize("kind", Kind.values)
def test_each_level_requires_at_least_what_the_level_below_requires(kind):
    for language in ("en", "nl"):
        template = templates_by(kind, language)
        general, specified, fixed = (
            {s.key for s in template.required_sections(level)} for level in Formality.values
        )
        assert general <= specified <= fixed
        assert general < fixed  # the levels make a difference for every type


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("kind", Kind.values)
def test_every_placeholder_is_known_and_the_draft_passes_its_own_check(kind, language):
    template = templates_by(kind, language)
    text = texts.draft_text(template, FULL_CONTEXT)
    assert not PLACEHOLDER.findall(text)
    assert "<parties>" in text and "<partnership>" in text
    assert texts.check(text, template, Formality.FIXED) == []
    assert [s.heading for s in texts.parse(text).sections] == [s.heading for s in template.sections]


# The first draft from the partnership's data -------------------------------------------------------


def test_the_draft_holds_the_partners_objectives_and_task_table(world):
    add_objectives(world, 2)
    city, shop = world.membership_member.partner, world.membership_viewer.partner
    patrol = task_create(actor=world.coordinator, partnership=world.partnership_a, title="Night patrols")
    assignment_set(actor=world.coordinator, task=patrol, partner=city, raci="A")
    assignment_set(actor=world.coordinator, task=patrol, partner=shop, raci="C")

    agreement = support.draft(world, Kind.COVENANT)
    body = agreement.versions.get().body
    for organisation in ("Polisen Malmö", "Malmö stad", "Sofielund Fastighetsägare"):
        assert f"- **{organisation}**" in body
    assert "1. **Objective 1** — indicator: Indicator 1" in body
    assert "2. **Objective 2** — indicator: Indicator 2" in body
    assert "| Task | Malmö stad | Polisen Malmö | Sofielund Fastighetsägare |" in body
    assert "| Night patrols | A |   | C |" in body
    assert "A safe and attractive Sofielund." in body  # the purpose
    assert agreement.title == "Covenant of Sofielund safety partnership"
    assert agreement.template_source == "en/covenant.toml"
    objectives = texts.parse(body).section("Priorities and objectives")
    assert "Objective 1" in objectives.body


def test_the_dutch_draft_uses_the_dutch_template(world):
    agreement = support.draft(world, Kind.COVENANT, language="nl")
    body = agreement.versions.get().body
    assert body.startswith("# Convenant Sofielund safety partnership")
    assert agreement.template_source == "nl/covenant.toml"
    assert "\n## Partijen\n" in body and "## Parties" not in body


@pytest.mark.parametrize(
    ("label", "copied"), [("clear", True), ("green", True), ("amber", False), ("red", False)]
)
def test_only_a_clear_or_green_problem_statement_is_copied_into_the_draft(world, label, copied):
    problem_statement_update(
        actor=world.coordinator,
        partnership=world.partnership_a,
        nature="Burglaries at the Nobelvägen garages.",
        causes="Weak locks.",
        tlp=label,
        recipient_organisations=[world.org_police_a, world.org_city_a] if label == "amber" else [],
        recipient_people=[world.coordinator, world.member] if label == "red" else [],
    )
    body = support.draft(world, Kind.COVENANT).versions.get().body
    assert ("Burglaries at the Nobelvägen garages." in body) is copied
    context = prefill_context(user=world.coordinator, partnership=world.partnership_a, language="en")
    assert (context["problem"] == "Burglaries at the Nobelvägen garages.") is copied
    if not copied:
        assert context["problem"] == "[to be agreed]"


# A deployment's own templates ----------------------------------------------------------------------

OWN = """
kind = "covenant"
language = "en"
title = "Local covenant for {partnership}"
preamble = "Agreed in {partnership}."

[[sections]]
key = "parties"
heading = "Who"
required_from = "general"
text = "{parties}"

[[sections]]
key = "duration"
heading = "How long"
required_from = "fixed"
text = "Until {expiry_date}."
"""


@pytest.fixture
def own_dir(settings, tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "covenant.toml").write_text(OWN, encoding="utf-8")
    settings.SAFEPACT_AGREEMENT_TEMPLATES_DIR = str(tmp_path)
    return tmp_path


def test_a_deployments_own_template_folder_is_used(world, own_dir):
    template = texts.get_template(Kind.COVENANT, "en")
    assert template.source == str(own_dir / "en" / "covenant.toml")
    assert [s.heading for s in template.sections] == ["Who", "How long"]
    assert [t.kind for t in texts.all_templates()] == [Kind.COVENANT]
    assert texts.get_template(Kind.COVENANT, "nl") == template  # no Dutch file: English

    agreement = support.draft(world, Kind.COVENANT, formality=Formality.GENERAL)
    assert agreement.title == "Local covenant for Sofielund safety partnership"
    body = agreement.versions.get().body
    assert "## Who" in body and "## Parties" not in body
    services.agreement_finalise(actor=world.coordinator, agreement=agreement)  # checked against this file

    with pytest.raises(texts.TemplateError) as excinfo:
        texts.get_template("mou", "en")
    assert str(own_dir) in str(excinfo.value) and "'mou'" in str(excinfo.value)
    with pytest.raises(ValidationError) as excinfo:
        support.draft(world, Kind.MOU)
    assert "kind" in excinfo.value.message_dict


def test_a_changed_file_is_read_again_without_a_restart(own_dir):
    path = own_dir / "en" / "covenant.toml"
    assert texts.get_template(Kind.COVENANT, "en").title == "Local covenant for {partnership}"
    path.write_text(OWN.replace("Local covenant", "Neighbourhood covenant"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert texts.get_template(Kind.COVENANT, "en").title == "Neighbourhood covenant for {partnership}"


HEAD = 'kind = "covenant"\nlanguage = "en"\ntitle = "T"\n'
SECTION = '[[sections]]\nkey = "parties"\nheading = "Parties"\n'


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("kind = covenant", "Invalid"),
        (HEAD, "missing key 'sections'"),
        ('language = "en"\ntitle = "T"\n' + SECTION, "missing key 'kind'"),
        (HEAD.replace('"covenant"', '"treaty"') + SECTION, "unknown kind 'treaty'"),
        (HEAD.replace('"covenant"', '"mou"') + SECTION, "must match the file name"),
        (HEAD.replace('"en"', '"nl"') + SECTION, "must match the file name"),
        (HEAD + '[[sections]]\nkey = "weather"\nheading = "W"\n', "section 1: unknown key 'weather'"),
        (HEAD + SECTION + 'required_from = "always"\n', "section 1: required_from must be one of"),
        (HEAD + SECTION + '[[sections]]\nkey = "purpose"\nheading = "  "\n', "section 2: heading is empty"),
        (HEAD + SECTION + '[[sections]]\nkey = "purpose"\nheading = "1. parties"\n', "used twice"),
        (HEAD + 'sections = "none"\n', "sections must be"),
        (HEAD + "sections = [1, 2]\n", "sections must be"),
        (HEAD + '[[sections]]\nkey = "parties"\nheading = 5\n', "must be strings"),
        (HEAD + SECTION + "text = 5\n", "must be strings"),
        (HEAD.replace('title = "T"', "title = 3") + SECTION, "must be strings"),
        (b"\xff\xfe not utf-8", "utf-8"),
    ],
)
def test_a_broken_file_gives_a_template_error_naming_the_file(world, settings, tmp_path, content, problem):
    (tmp_path / "en").mkdir()
    path = tmp_path / "en" / "covenant.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    settings.SAFEPACT_AGREEMENT_TEMPLATES_DIR = str(tmp_path)
    with pytest.raises(texts.TemplateError) as excinfo:
        texts.get_template(Kind.COVENANT, "en")
    message = str(excinfo.value)
    assert message.startswith(f"{path}: ")
    assert problem.lower() in message.lower(), message
    # Drafting with it is refused with the reason on the type, not a crash.
    with pytest.raises(ValidationError) as excinfo:
        support.draft(world, Kind.COVENANT)
    shown = excinfo.value.message_dict["kind"][0]
    assert "cannot be read" in shown
    assert "en/covenant.toml" in shown and str(tmp_path) not in shown  # no server path on a page


def test_a_template_broken_after_drafting_blocks_finalising_with_a_reason(world, settings, tmp_path):
    agreement = support.draft(world, Kind.COVENANT)
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "covenant.toml").write_text("not toml at all", encoding="utf-8")
    settings.SAFEPACT_AGREEMENT_TEMPLATES_DIR = str(tmp_path)
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_finalise(actor=world.coordinator, agreement=agreement)
    assert "cannot be read" in excinfo.value.message_dict["kind"][0]
    assert support.reload(agreement).status == "draft"
