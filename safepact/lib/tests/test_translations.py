"""The Dutch catalogue is complete and its compiled .mo matches the .po."""

from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "safepact" / "locale"
PO = LOCALE / "nl" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_dutch_catalogue_is_complete():
    po = polib.pofile(str(PO))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} strings without Dutch translation, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy translations to review, e.g. {fuzzy[:5]}"
    assert len(po.translated_entries()) > 100


def test_compiled_catalogue_matches_source():
    po = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.pofile(str(PO)).translated_entries()
    }
    mo = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.mofile(str(MO))}
    missing = [key for key in po if key not in mo]
    assert not missing, f"django.mo is stale: run `make messages` ({len(missing)} strings missing)"


@pytest.mark.parametrize("placeholder", ["%(", "{"])
def test_placeholders_survive_translation(placeholder):
    for entry in polib.pofile(str(PO)).translated_entries():
        if placeholder in entry.msgid and entry.msgstr:
            source = sorted(part.split(")")[0] for part in entry.msgid.split("%(")[1:])
            target = sorted(part.split(")")[0] for part in entry.msgstr.split("%(")[1:])
            assert source == target, f"placeholders differ in {entry.msgid!r} → {entry.msgstr!r}"


def test_catalogue_covers_every_marked_string(tmp_path):
    """Re-extract the strings from a copy of the source: none may be missing from the catalogue."""
    import os
    import shutil
    import subprocess
    import sys

    if shutil.which("xgettext") is None:
        if os.environ.get("CI") == "true" or os.environ.get("SAFEPACT_REQUIRE_BROWSER") == "1":
            pytest.fail("GNU gettext (xgettext) is required in CI to check the catalogue")
        pytest.skip("GNU gettext (xgettext) not installed: apt-get install gettext")
    base = Path(settings.BASE_DIR)
    shutil.copytree(
        base / "safepact", tmp_path / "safepact", ignore=shutil.ignore_patterns("__pycache__", "*.mo")
    )
    shutil.copy(base / "manage.py", tmp_path / "manage.py")
    env = {**os.environ, "SAFEPACT_VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "nl", "--no-obsolete"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = polib.pofile(str(tmp_path / "safepact" / "locale" / "nl" / "LC_MESSAGES" / "django.po"))
    ours = {(e.msgctxt, e.msgid) for e in polib.pofile(str(PO)).translated_entries()}
    missing = sorted(e.msgid for e in fresh if (e.msgctxt, e.msgid) not in ours)
    assert not missing, f"{len(missing)} strings are not translated yet (run `make messages`): {missing[:8]}"
