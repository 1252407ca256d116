"""The risk-tier computation: a pure function of the bank and the answers, tested exhaustively."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepact.formation.question_banks import answer_errors, evaluate, parse_bank, question_bank, tier_for

T = {"en": "x", "nl": "x"}


def option(option_id, points, red_flag=False):
    return {"id": option_id, "text": T, "points": points, **({"red_flag": True} if red_flag else {})}


def small_bank(rules=None):
    """Three questions in two topics; points chosen so that every boundary can be hit exactly."""
    return parse_bank(
        {
            "version": "t",
            "title": T,
            "topics": [{"id": "one", "title": T}, {"id": "two", "title": T}],
            "questions": [
                {
                    "id": "q1",
                    "topic": "one",
                    "text": T,
                    "options": [option("a", 0), option("b", 4), option("c", 7)],
                },
                {
                    "id": "q2",
                    "topic": "one",
                    "text": T,
                    "options": [option("a", 0), option("b", 1), option("flag", 0, red_flag=True)],
                    "evidence_expected": ["b"],
                },
                {
                    "id": "q3",
                    "topic": "two",
                    "text": T,
                    "options": [option("a", 0), option("b", 4)],
                    "evidence_expected": True,
                },
            ],
            "rules": rules or {"high": {"any_red_flag": True, "min_score": 12}, "medium": {"min_score": 5}},
        },
        "small.json",
    )


POINTS = {"q1": {"a": 0, "b": 4, "c": 7}, "q2": {"a": 0, "b": 1, "flag": 0}, "q3": {"a": 0, "b": 4}}


def expected_tier(score: int, flagged: bool) -> str:
    if flagged or score >= 12:
        return "high"
    if score >= 5:
        return "medium"
    return "low"


def answers_of(**chosen):
    return {qid: {"option": option_id, "evidence": ""} for qid, option_id in chosen.items() if option_id}


@pytest.mark.parametrize(
    "combination",
    list(itertools.product([None, "a", "b", "c"], [None, "a", "b", "flag"], [None, "a", "b"])),
    ids=lambda c: "-".join(o or "_" for o in c),
)
def test_every_combination_of_answers(combination):
    q1, q2, q3 = combination
    result = evaluate(small_bank(), answers_of(q1=q1, q2=q2, q3=q3))
    score = sum(POINTS[qid][opt] for qid, opt in zip(("q1", "q2", "q3"), combination, strict=True) if opt)
    assert result.score == score
    assert result.tier == expected_tier(score, q2 == "flag")
    assert result.missing == tuple(
        qid for qid, opt in zip(("q1", "q2", "q3"), combination, strict=True) if not opt
    )
    assert result.complete == all(combination)
    assert result.red_flags == (("q2",) if q2 == "flag" else ())


@pytest.mark.parametrize(
    ("q1", "q2", "q3", "score", "tier"),
    [
        ("a", "a", "a", 0, "low"),
        ("b", "a", "a", 4, "low"),  # one below medium
        ("b", "b", "a", 5, "medium"),  # exactly medium
        ("c", "a", "b", 11, "medium"),  # one below high
        ("c", "b", "b", 12, "high"),  # exactly high
        ("a", "flag", "a", 0, "high"),  # a red flag alone makes it high
    ],
)
def test_tier_boundaries(q1, q2, q3, score, tier):
    result = evaluate(small_bank(), answers_of(q1=q1, q2=q2, q3=q3))
    assert (result.score, result.tier) == (score, tier)


def test_red_flag_counts_only_where_a_rule_says_so():
    bank = small_bank({"high": {"min_score": 12}, "medium": {"any_red_flag": True, "min_score": 5}})
    assert evaluate(bank, answers_of(q1="a", q2="flag", q3="a")).tier == "medium"
    bank = small_bank({"high": {"min_score": 12}})
    assert evaluate(bank, answers_of(q1="a", q2="flag", q3="a")).tier == "low"
    assert evaluate(bank, answers_of(q1="c", q2="b", q3="b")).tier == "high"


def test_unanswered_questions_make_it_incomplete_and_are_named():
    result = evaluate(small_bank(), answers_of(q2="a"))
    assert not result.complete
    assert result.missing == ("q1", "q3")


def test_unknown_option_counts_as_missing():
    result = evaluate(small_bank(), {"q1": {"option": "zzz"}, "q2": {"option": "a"}, "q3": {"option": "a"}})
    assert result.missing == ("q1",)


def test_evidence_missing_where_expected():
    bank = small_bank()
    answers = answers_of(q1="a", q2="b", q3="a")
    assert evaluate(bank, answers).evidence_missing == ("q2", "q3")
    answers["q3"]["evidence"] = "https://example.org/report.pdf"
    answers["q2"]["evidence"] = "   "
    assert evaluate(bank, answers).evidence_missing == ("q2",)
    assert evaluate(bank, answers_of(q1="a", q2="a", q3="a")).evidence_missing == ("q3",)


def test_per_topic_breakdown():
    result = evaluate(small_bank(), answers_of(q1="b", q2="flag"))
    one, two = result.topics
    assert (one.topic.id, one.score, one.max_score, one.answered, one.total, one.red_flags) == (
        "one",
        4,
        8,
        2,
        2,
        ("q2",),
    )
    assert (two.topic.id, two.score, two.max_score, two.answered, two.total, two.red_flags) == (
        "two",
        0,
        4,
        0,
        1,
        (),
    )


def test_tier_for_without_rules_is_low():
    assert tier_for((), score=100, red_flags=3) == "low"


def test_answer_errors_name_the_question():
    bank = small_bank()
    errors = answer_errors(
        bank, {"q1": {"option": "zzz"}, "q9": {"option": "a"}, "q2": "a", "q3": {"option": "b"}}
    )
    assert set(errors) == {"q1", "q9", "q2"}
    assert "zzz" in errors["q1"] and "a, b, c" in errors["q1"]
    assert "q9" in errors["q9"]


# The real bank: a property over every possible set of answers -------------------------------------------

BANK = question_bank("1")


@st.composite
def real_answers(draw):
    answers = {}
    for question in BANK.questions:
        choice = draw(st.sampled_from([None, *question.options]))
        if choice is not None:
            answers[question.id] = {"option": choice.id}
    return answers


@settings(deadline=None)  # a pure function, but the machine may be busy running other tests
@given(real_answers())
def test_the_real_bank_follows_its_rules(answers):
    result = evaluate(BANK, answers)
    chosen = [BANK.question(qid).option(entry["option"]) for qid, entry in answers.items()]
    score = sum(option.points for option in chosen)
    flagged = any(option.red_flag for option in chosen)
    assert result.score == score == sum(topic.score for topic in result.topics)
    assert result.tier == expected_tier(score, flagged)
    assert set(result.missing) == {q.id for q in BANK.questions} - set(answers)
