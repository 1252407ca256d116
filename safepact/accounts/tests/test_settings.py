"""The settings refuse to start in production with an unsafe value, and force 2FA on there."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SAFE_SECRET = "x" * 20 + "-a-long-and-random-production-secret-key-" + "y" * 20

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'debug': settings.DEBUG, 'require_2fa': settings.SAFEPACT_REQUIRE_2FA, "
    "'hosts': settings.ALLOWED_HOSTS, 'secure_cookies': settings.SESSION_COOKIE_SECURE}))"
)


def _import_settings(tmp_path, **overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SAFEPACT_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "PYTEST"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="safepact.settings",
        SAFEPACT_ENV="production",
        SAFEPACT_VAR_DIR=str(tmp_path),
        PYTHONPATH=str(ROOT),
    )
    env.update({key: value for key, value in overrides.items() if value is not None})
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


SAFE = {"DEBUG": "0", "SECRET_KEY": SAFE_SECRET, "ALLOWED_HOSTS": "safepact.example.org"}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"DEBUG": "1"}, "DEBUG is on"),
        ({"DEBUG": None}, None),  # DEBUG defaults to off in production: starts
        ({"SECRET_KEY": None}, "SECRET_KEY is the development default"),
        ({"SECRET_KEY": "short-secret"}, "shorter than 50 characters"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS is empty"),
        ({"ALLOWED_HOSTS": "*"}, "contains '*'"),
        ({"ALLOWED_HOSTS": "safepact.example.org,*"}, "contains '*'"),
    ],
)
def test_production_refuses_unsafe_values(tmp_path, change, problem):
    result = _import_settings(tmp_path, **{**SAFE, **change})
    if problem is None:
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "Refusing to start in production" in result.stderr
    assert problem in result.stderr


def test_production_names_every_problem_at_once(tmp_path):
    result = _import_settings(tmp_path, DEBUG="1", SECRET_KEY=None, ALLOWED_HOSTS=None)
    assert result.returncode != 0
    for problem in ("DEBUG is on", "SECRET_KEY", "ALLOWED_HOSTS"):
        assert problem in result.stderr


def test_production_starts_with_safe_values_and_forces_2fa(tmp_path):
    result = _import_settings(tmp_path, **SAFE, SAFEPACT_REQUIRE_2FA="0")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["debug"] is False
    assert values["require_2fa"] is True
    assert values["hosts"] == ["safepact.example.org"]
    assert values["secure_cookies"] is True


def test_development_defaults_start_with_2fa_optional(tmp_path):
    result = _import_settings(tmp_path, SAFEPACT_ENV="development")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["debug"] is True
    assert values["require_2fa"] is False


def test_unknown_environment_is_refused(tmp_path):
    result = _import_settings(tmp_path, SAFEPACT_ENV="staging")
    assert result.returncode != 0
    assert "SAFEPACT_ENV must be development, production or test" in result.stderr
