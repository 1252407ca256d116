"""The production entry point loads every view at start and freezes what it loaded (``gc.freeze``), so the
garbage collector's full collections skip it (they took 90-140 ms a time under load before)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_wsgi_module_loads_the_urls_and_freezes_them(tmp_path):
    code = (
        "import gc, sys\n"
        "import safepact.wsgi as w\n"
        "assert callable(w.application)\n"
        "print(gc.get_freeze_count(), 'safepact.registry.api' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "SAFEPACT_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "safepact.settings",
        },
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    frozen, views_loaded = done.stdout.split()
    assert int(frozen) > 50_000  # the framework, the apps and their views
    assert views_loaded == "True"
