"""Mappings: the examples and the built-in one load; mistakes are refused naming the key at fault."""

import json

import pytest
from django.core.exceptions import ValidationError

from safepact.registry.services.transfer import Mapping, load_mapping
from safepact.registry.tests.transfer_factories import MAPPINGS

BASE = {
    "format": "csv",
    "fields": {
        "category": {"value": "boat"},
        "description": "omschrijving",
        "case_reference": "pv",
        "legal_basis": {"value": "Art. 94 Sv"},
        "jurisdiction": {"value": "NL"},
    },
    "identifiers": [{"kind": "hin", "column": "romp"}],
}


def with_(**changes) -> dict:
    mapping = json.loads(json.dumps(BASE))
    for dotted, value in changes.items():
        target = mapping
        *path, last = dotted.split("__")
        for part in path:
            target = target[part]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return mapping


def mapping_error(source) -> str:
    with pytest.raises(ValidationError) as caught:
        load_mapping(source)
    return " ".join(caught.value.message_dict["mapping"])


@pytest.mark.parametrize(
    "name",
    ["nl_boats_columns.json", "legacy_rows.json", "bikes_shared_identifiers.json", "safepact.json"],
)
def test_example_mappings_load(name):
    mapping = load_mapping(str(MAPPINGS / name))
    assert isinstance(mapping, Mapping)
    assert mapping.name == name.removesuffix(".json")
    assert mapping.fields["category"]


def test_builtin_safepact_mapping_by_name():
    mapping = load_mapping("safepact")
    assert mapping.name == "safepact"
    assert mapping.format == "json"
    assert mapping.object_key == ("reference",)
    assert mapping.identifier_objects.column == "identifiers"


def test_mapping_from_bytes_file_and_dict(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(BASE))
    assert load_mapping(path).name == "mine.json"
    assert load_mapping(json.dumps(BASE).encode()).fields["description"].columns == ("omschrijving",)
    with path.open("rb") as handle:
        assert load_mapping(handle).name == "mine.json"
    parsed = load_mapping(BASE)
    assert parsed.fields["legal_basis"].constant == "Art. 94 Sv"
    assert parsed.fields["jurisdiction"].constant == "NL"
    assert load_mapping(parsed) is parsed


def test_values_table_is_case_insensitive_and_checked():
    mapping = load_mapping(with_(fields__category={"column": "type", "values": {"Boot": "boat"}}))
    assert mapping.fields["category"].values == {"boot": "boat"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"format": "xml"}, "Mapping, format:"),
        ({"delimiter": ";;"}, "Mapping, delimiter:"),
        ({"encoding": "klingon"}, 'Mapping, encoding: unknown encoding "klingon"'),
        ({"object_key": 12}, "Mapping, object_key:"),
        ({"identifier_row": {}}, "Mapping, identifier_row: unknown key"),
        ({"fields__colour": "kleur"}, "Mapping, fields.colour: unknown key"),
        ({"fields__description": None}, "Mapping, fields.description: missing"),
        ({"fields__category": {"column": "type", "values": {"BOOT": "bot"}}}, "fields.category.values.BOOT"),
        ({"fields__category": {"value": "spaceship"}}, "Mapping, fields.category.value:"),
        ({"fields__jurisdiction": {"value": "XX"}}, "Mapping, fields.jurisdiction.value:"),
        ({"fields__action": {"value": "shoot"}}, "Mapping, fields.action.value:"),
        (
            {"fields__expires_on": {"column": "tot", "default": "31-12-2030"}},
            "Mapping, fields.expires_on.default:",
        ),
        ({"fields__case_reference": {"column": "pv", "value": "x"}}, "Mapping, fields.case_reference:"),
        ({"fields__case_reference": {"default": "x"}}, "Mapping, fields.case_reference"),
        (
            {"fields__legal_basis": {"value": "x", "colum": "y"}},
            "Mapping, fields.legal_basis.colum: unknown key",
        ),
        ({"fields__category": {"columns": ["a", "b"]}}, "Mapping, fields.category.columns: only text fields"),
        ({"identifiers": [{"kind": "hull", "column": "romp"}]}, 'Mapping, identifiers[1].kind: "hull"'),
        ({"identifiers": [{"kind": "hin"}]}, "Mapping, identifiers[1].column:"),
        (
            {"identifiers": [{"kind": "document", "column": "d", "document_type": "visa"}]},
            "identifiers[1].document_type",
        ),
        ({"identifiers": []}, "Mapping, identifiers: missing"),
        (
            {"identifier_rows": {"value_column": "v", "kind_column": "k", "kinds": {"ROMP": "hull"}}},
            "Mapping, identifier_rows.kinds.ROMP:",
        ),
        ({"identifier_rows": {"value_column": "v"}}, "Mapping, identifier_rows:"),
    ],
)
def test_mapping_mistakes_name_the_key(changes, expected):
    assert expected in mapping_error(with_(**changes))


def test_mapping_that_is_not_json_or_not_found(tmp_path):
    assert "not valid JSON (line 1)" in mapping_error(b"{nope")
    assert "Cannot read the mapping" in mapping_error(str(tmp_path / "missing.json"))
    assert "at most 1 MB" in mapping_error(b"{" + b" " * (1024 * 1024 + 1) + b"}")
    assert "expected an object" in mapping_error(b"[1, 2]")
