"""Start-up reads the environment strictly: a bad value stops it with the variable's name."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _check(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    clean.update(VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_the_embedded_default_needs_no_environment(tmp_path):
    result = _check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    "name, value",
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("DATABASE_URL", "not a url"),
        ("REDIS_URL", "http://localhost:6379"),
        ("DATABASE_CONN_MAX_AGE", "ten"),
        ("EMAIL_HOST", "smtp.example.com"),  # with the bad port below
        ("SECRET_KEY", "short"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(tmp_path, name, value):
    extra = {"EMAIL_PORT": "smtp"} if name == "EMAIL_HOST" else {}
    result = _check(tmp_path, **{name: value}, **extra)
    assert result.returncode != 0
    named = "EMAIL_PORT" if name == "EMAIL_HOST" else name
    assert f"configuration error: {named}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_secret_may_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("k" * 40 + "\n")
    ok = _check(tmp_path, SECRET_KEY_FILE=str(secret))
    assert ok.returncode == 0, ok.stderr
    missing = _check(tmp_path, SECRET_KEY_FILE=str(tmp_path / "nope"))
    assert "configuration error: SECRET_KEY_FILE" in missing.stderr
    both = _check(tmp_path, SECRET_KEY_FILE=str(secret), SECRET_KEY="k" * 40)
    assert "SECRET_KEY and SECRET_KEY_FILE are both set" in both.stderr
