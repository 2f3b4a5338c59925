from pathlib import Path

import pytest

from casetrack import create_app
from casetrack.config import ConfigError, load_settings, resolve_secret_key
from casetrack.web.common.security import is_safe_next


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("CASETRACK_SECRET_KEY", raising=False)
    monkeypatch.setenv("CASETRACK_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"ENV": "production", "DATABASE_URL": "sqlite://"})


def test_production_refuses_a_short_secret_key(tmp_path):
    settings = load_settings(environ={"CASETRACK_SECRET_KEY": "kort"})
    with pytest.raises(ConfigError, match="too short"):
        resolve_secret_key(settings, tmp_path)


def test_development_keeps_a_random_key_in_the_instance_folder(tmp_path: Path):
    settings = load_settings(environ={"CASETRACK_ENV": "development"})
    first = resolve_secret_key(settings, tmp_path)
    assert len(first) >= 32
    assert resolve_secret_key(settings, tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_overrides_defaults_and_overrides_win():
    settings = load_settings(
        environ={"CASETRACK_SMTP_PORT": "2525", "CASETRACK_SESSION_COOKIE_SECURE": "false"},
        overrides={"SMTP_PORT": 587},
    )
    assert settings["SMTP_PORT"] == 587
    assert settings["SESSION_COOKIE_SECURE"] is False
    with pytest.raises(ConfigError):
        load_settings(environ={"CASETRACK_SMTP_PORT": "många"})


def test_session_cookie_is_hardened(monkeypatch, tmp_path):
    monkeypatch.setenv("CASETRACK_INSTANCE_PATH", str(tmp_path))
    app = create_app({"ENV": "production", "SECRET_KEY": "x" * 40, "DATABASE_URL": "sqlite://"})
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 30 * 60
    assert app.config["MAX_CONTENT_LENGTH"] > 0


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/arenden/5", True),
        ("/", True),
        ("//evil.example/", False),
        ("https://evil.example/", False),
        ("/\\evil.example", False),
        ("javascript:alert(1)", False),
        ("", False),
        (None, False),
    ],
)
def test_only_local_next_targets_are_followed(target, safe):
    assert is_safe_next(target) is safe
