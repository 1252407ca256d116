"""The Five Safes questions are data: the shipped file is complete in both languages, a deployment can replace
it, and a broken file is refused with a message naming the file."""

import json
import shutil
from pathlib import Path

import pytest
from django.utils import translation

from safepact.exchange import five_safes
from safepact.exchange.models import Safe

SHIPPED = Path(five_safes.__file__).resolve().parent / "questions_v1.json"


@pytest.fixture(autouse=True)
def _fresh_cache():
    five_safes.clear_cache()
    yield
    five_safes.clear_cache()


def shipped_data() -> dict:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


def write(folder: Path, data, name: str = "questions_v1.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_the_shipped_set_has_the_five_safes_in_order_in_english_and_dutch():
    questions = five_safes.question_set()
    assert questions.version == "1"
    assert questions.ids == tuple(Safe.values)
    for safe in questions.safes:
        for texts in (safe.title, safe.question, safe.guidance):
            assert texts["en"].strip() and texts["nl"].strip()
            assert texts["en"] != texts["nl"], f"{safe.id}: the Dutch text is a copy of the English"
        assert safe.question["en"].endswith("?") and safe.question["nl"].endswith("?")


def test_the_shipped_texts_say_what_each_safe_is_about():
    by_id = {safe.id: safe for safe in five_safes.question_set().safes}
    assert "authorised" in by_id["people"].question["en"]
    assert "bevoegd" in by_id["people"].question["nl"]
    assert "purpose" in by_id["projects"].question["en"]
    assert "unauthorised use" in by_id["settings"].question["en"]
    assert "pseudonymised" in by_id["data"].question["en"]
    assert "gepseudonimiseerd" in by_id["data"].question["nl"]
    assert "results" in by_id["outputs"].question["en"]


def test_localised_follows_the_active_language_and_falls_back_to_english():
    questions = five_safes.question_set()
    with translation.override("nl"):
        dutch = questions.localised()
    assert [safe.title for safe in dutch][:2] == ["Veilige personen", "Veilige projecten"]
    assert questions.localised("en")[0].title == "Safe people"
    assert questions.localised("de")[0].title == "Safe people"  # not one of ours: the default language
    assert questions.safe("outputs").localised("nl").guidance.startswith("Geef aan wie")
    assert questions.safe("nonsense") is None


def test_a_deployment_replaces_the_texts_through_the_setting(settings, tmp_path):
    data = shipped_data()
    data["safes"][0]["question"]["en"] = "Are our people vetted?"
    write(tmp_path / "texts", data)
    settings.SAFEPACT_FIVE_SAFES_DIR = str(tmp_path / "texts")
    assert five_safes.question_set("1").safe("people").question["en"] == "Are our people vetted?"
    assert five_safes.latest_version() == "1"


def test_the_latest_version_is_the_highest_number(settings, tmp_path):
    folder = tmp_path / "texts"
    write(folder, shipped_data())
    later = shipped_data()
    later["version"] = "10"
    write(folder, later, "questions_v10.json")
    write(folder, "ignored", "notes.json")
    settings.SAFEPACT_FIVE_SAFES_DIR = str(folder)
    assert five_safes.versions() == ["1", "10"]
    assert five_safes.latest_version() == "10"
    assert five_safes.question_set(None).version == "10"


def test_an_unknown_version_or_an_empty_folder_is_a_clear_error(settings, tmp_path):
    with pytest.raises(five_safes.FiveSafesNotFound, match="version '7'"):
        five_safes.question_set("7")
    settings.SAFEPACT_FIVE_SAFES_DIR = str(tmp_path / "nothing")
    with pytest.raises(five_safes.FiveSafesNotFound, match="no Five Safes question files"):
        five_safes.latest_version()


def _without(data: dict, safe_id: str) -> dict:
    data["safes"] = [safe for safe in data["safes"] if safe["id"] != safe_id]
    return data


def _no_dutch(data: dict) -> dict:
    del data["safes"][3]["guidance"]["nl"]
    return data


def _blank_dutch_title(data: dict) -> dict:
    data["title"]["nl"] = "  "
    return data


def _twice(data: dict) -> dict:
    data["safes"].append(dict(data["safes"][0]))
    return data


def _unknown(data: dict) -> dict:
    data["safes"][2]["id"] = "buildings"
    return data


def _text_not_mapping(data: dict) -> dict:
    data["safes"][1]["question"] = "Is the purpose appropriate?"
    return data


def _no_version(data: dict) -> dict:
    del data["version"]
    return data


def _other_version(data: dict) -> dict:
    data["version"] = "2"
    return data


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda d: _without(d, "outputs"), "the safes outputs are missing"),
        (_no_dutch, "safe 'data': guidance is missing the translation for nl"),
        (_blank_dutch_title, "title is missing the translation for nl"),
        (_twice, "safe 'people': the safe is listed twice"),
        (_unknown, "unknown safe 'buildings'"),
        (_text_not_mapping, "safe 'projects': question must be a mapping of language to text"),
        (_no_version, "version is missing"),
        (_other_version, "the file name says version 1, the file 2"),
    ],
)
def test_a_broken_file_is_refused_naming_the_file(settings, tmp_path, spoil, message):
    write(tmp_path, spoil(shipped_data()))
    settings.SAFEPACT_FIVE_SAFES_DIR = str(tmp_path)
    with pytest.raises(five_safes.FiveSafesError) as error:
        five_safes.question_set("1")
    assert str(error.value).startswith("questions_v1.json: ")
    assert message in str(error.value)


def test_a_file_that_is_not_json_is_refused_naming_the_file(settings, tmp_path):
    write(tmp_path, "{not json")
    settings.SAFEPACT_FIVE_SAFES_DIR = str(tmp_path)
    with pytest.raises(five_safes.FiveSafesError, match=r"^questions_v1\.json: cannot be read as JSON"):
        five_safes.question_set()


def test_the_loaded_set_is_cached_until_cleared(settings, tmp_path):
    shutil.copy(SHIPPED, tmp_path / "questions_v1.json")
    settings.SAFEPACT_FIVE_SAFES_DIR = str(tmp_path)
    first = five_safes.question_set()
    data = shipped_data()
    data["title"]["en"] = "Changed"
    write(tmp_path, data)
    assert five_safes.question_set() is first
    five_safes.clear_cache()
    assert five_safes.question_set().title["en"] == "Changed"
