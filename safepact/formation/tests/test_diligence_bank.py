"""The question bank is data: every file in the folder is valid, and a broken file is refused clearly."""

import copy
import json

import pytest
from django.conf import settings

from safepact.formation import question_banks
from safepact.formation.question_banks import (
    FOLDER,
    QuestionBankError,
    QuestionBankNotFound,
    bank_files,
    bank_versions,
    load_bank_file,
    parse_bank,
    question_bank,
    rules_in_words,
    tr,
)

V1 = FOLDER / "due_diligence_v1.json"
TOPICS = {
    "ownership",
    "officials",
    "misconduct",
    "conflicts",
    "data_protection",
    "financial",
    "reputation",
    "prior_partnerships",
}


def v1_data() -> dict:
    return json.loads(V1.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", bank_files(), ids=lambda p: p.name)
def test_every_bank_file_in_the_folder_is_valid(path):
    bank = load_bank_file(path)
    assert bank.version == path.stem.removeprefix("due_diligence_v")
    assert bank.questions and bank.topics and bank.rules
    languages = [code for code, _name in settings.LANGUAGES]
    for question in bank.questions:
        assert all(question.text[code].strip() for code in languages)
        assert len(question.options) >= 2


def test_there_is_at_least_one_bank_and_the_latest_is_the_default():
    assert bank_files(), "no question bank in the folder"
    assert question_bank().version == bank_versions()[-1]
    assert question_bank("1").version == "1"


def test_v1_covers_the_topics_of_the_due_diligence_guidelines():
    bank = question_bank("1")
    assert {topic.id for topic in bank.topics} == TOPICS
    assert {question.topic for question in bank.questions} == TOPICS
    assert any(option.red_flag for question in bank.questions for option in question.options)
    assert bank.raw_rules == {"high": {"any_red_flag": True, "min_score": 12}, "medium": {"min_score": 5}}


def test_v1_is_translated_into_dutch():
    bank = question_bank("1")
    question = bank.question("ownership_structure")
    assert tr(question.text, "nl").startswith("Is de eigendomsstructuur")
    assert tr(question.text, "en").startswith("Is the ownership structure")
    assert tr(question.text, "nl-be") == tr(question.text, "nl")  # a regional variant falls back to its base
    assert tr(question.text, "fr") == tr(question.text, "en")  # an unknown language falls back to English


def test_unknown_version_is_refused():
    with pytest.raises(QuestionBankNotFound):
        question_bank("99")


def test_loading_is_cached():
    assert question_bank() is question_bank()
    question_banks.clear_cache()
    assert question_bank().version == "1"


def test_rules_in_plain_words():
    assert rules_in_words(question_bank("1"), "en") == [
        "High: any answer marked ⚑ (red flag), or 12 points or more.",
        "Medium: 5 points or more.",
        "Low: anything else.",
    ]


# Broken files: the error names the file and the question ------------------------------------------------


def broken(mutate) -> str:
    data = copy.deepcopy(v1_data())
    mutate(data)
    with pytest.raises(QuestionBankError) as excinfo:
        parse_bank(data, "due_diligence_v7.json")
    return str(excinfo.value)


def _question(data, question_id):
    return next(q for q in data["questions"] if q["id"] == question_id)


def test_missing_translation_is_refused_naming_file_and_question():
    message = broken(lambda d: _question(d, "officials_gifts")["text"].pop("nl"))
    assert "due_diligence_v7.json" in message
    assert "'officials_gifts'" in message
    assert "nl" in message


def test_missing_translation_of_an_option_is_refused():
    message = broken(lambda d: _question(d, "financial_accounts")["options"][1]["text"].update(nl=""))
    assert "'financial_accounts'" in message and "concerns" in message and "nl" in message


def test_duplicate_question_id_is_refused():
    def mutate(data):
        data["questions"].append(copy.deepcopy(_question(data, "reputation_media")))

    message = broken(mutate)
    assert "duplicate question id" in message and "'reputation_media'" in message


def test_duplicate_option_id_is_refused():
    def mutate(data):
        options = _question(data, "reputation_media")["options"]
        options.append(copy.deepcopy(options[0]))

    message = broken(mutate)
    assert "duplicate option id 'none'" in message and "'reputation_media'" in message


def test_unknown_option_id_in_evidence_expected_is_refused():
    message = broken(lambda d: _question(d, "ownership_jurisdictions").update(evidence_expected=["maybe"]))
    assert "unknown option ids: maybe" in message and "'ownership_jurisdictions'" in message


def test_unknown_topic_is_refused():
    message = broken(lambda d: _question(d, "prior_experience").update(topic="weather"))
    assert "unknown topic 'weather'" in message and "'prior_experience'" in message


@pytest.mark.parametrize(
    ("points", "red_flag"), [(-1, False), ("3", False), (True, False), (2, "yes")], ids=str
)
def test_bad_points_or_red_flag_are_refused(points, red_flag):
    def mutate(data):
        option = _question(data, "prior_commitments")["options"][0]
        option["points"], option["red_flag"] = points, red_flag

    assert "'prior_commitments'" in broken(mutate)


@pytest.mark.parametrize(
    "rules",
    [
        {},
        {"critical": {"min_score": 30}},
        {"high": {"min_points": 12}},
        {"high": {}},
        {"high": {"min_score": -1}},
        {"high": {"min_score": 3}, "medium": {"min_score": 5}},
    ],
    ids=str,
)
def test_bad_rules_are_refused(rules):
    message = broken(lambda d: d.update(rules=rules))
    assert message.startswith("due_diligence_v7.json: ")


def test_file_name_and_version_must_agree(tmp_path):
    data = v1_data()
    path = tmp_path / "due_diligence_v2.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(QuestionBankError, match="file name says version 2"):
        load_bank_file(path)


def test_unreadable_json_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "due_diligence_v3.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(QuestionBankError, match=r"due_diligence_v3\.json: cannot be read as JSON"):
        load_bank_file(path)
