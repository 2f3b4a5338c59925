"""`casetrack check-deploy` explains every problem in plain words and exits non-zero."""

from __future__ import annotations

from click.testing import CliRunner

from casetrack.cli.ops import check_deploy_command

GOOD = {
    "CASETRACK_SECRET_KEY": "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9a0b1c2d3e4f5061728394a5b6c7d8e",
    "CASETRACK_DATABASE_URL": "postgresql+psycopg://casetrack_app@db.internal/casetrack",
    "CASETRACK_SMTP_HOST": "smtp.kommun.se",
    "CASETRACK_MAIL_FROM": "casetrack@kommun.se",
    "CASETRACK_BASE_URL": "https://casetrack.kommun.se",
    # A key made for this test only.  # pragma: allowlist nextline secret
    "CASETRACK_ATTACHMENT_KEY": "rC7Tn0fUZ0z3bqk3k1m4ZqXo1Yb6t3uVbD8yY0wQm2c=",
    # pragma: allowlist nextline secret
    "CASETRACK_PSEUDONYM_KEY": "test-only-pseudonym-key-0123456789abcdef",
    # One worker, so the default memory:// limiter storage counts every attempt.
    "CASETRACK_WORKERS": "1",
}


def _run(env: dict[str, str], monkeypatch):
    for name in list(__import__("os").environ):
        if name.startswith("CASETRACK_") or name == "FLASK_DEBUG":
            monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return CliRunner().invoke(check_deploy_command, [])


def test_a_good_production_configuration_passes(monkeypatch):
    result = _run(GOOD, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "Konfigurationen ser bra ut för produktion." in result.output
    assert "FEL" not in result.output


def test_every_problem_is_explained_and_the_exit_code_is_non_zero(monkeypatch):
    env = {
        "CASETRACK_SECRET_KEY": "changeme",
        "CASETRACK_SESSION_COOKIE_SECURE": "false",
        "CASETRACK_DATABASE_URL": "sqlite:///casetrack.sqlite",
        "FLASK_DEBUG": "1",
    }
    result = _run(env, monkeypatch)
    assert result.exit_code == 1
    assert "FEL  Hemlig nyckel" in result.output
    assert "FEL  Säker inloggningskaka" in result.output
    assert "FEL  Databas: Databasen är inte PostgreSQL" in result.output
    assert "FEL  E-post" in result.output
    assert "FEL  Felsökningsläge" in result.output
    assert "FEL  Krypteringsnyckel för bilagor: Ingen nyckel" in result.output
    assert "FEL  Säkerhetsnycklar och adress: Adressen 'http://127.0.0.1:8000'" in result.output
    assert "FEL  Inloggningsspärr: Spärren räknas i minnet" in result.output
    assert "FEL  Nyckel för brukarpseudonymer (avvikelser): Ingen nyckel" in result.output
    assert "9 problem måste åtgärdas" in result.output


def test_a_missing_secret_key_is_reported(monkeypatch):
    env = {k: v for k, v in GOOD.items() if k != "CASETRACK_SECRET_KEY"}
    result = _run(env, monkeypatch)
    assert result.exit_code == 1
    assert "CASETRACK_SECRET_KEY är inte satt" in result.output


def test_an_unreadable_or_malformed_attachment_key_is_reported(monkeypatch, tmp_path):
    env = {k: v for k, v in GOOD.items() if k != "CASETRACK_ATTACHMENT_KEY"}
    result = _run({**env, "CASETRACK_ATTACHMENT_KEY": "inte-en-nyckel"}, monkeypatch)
    assert result.exit_code == 1
    assert "FEL  Krypteringsnyckel för bilagor: En nyckel för bilagor är ogiltig" in result.output
    key_file = tmp_path / "attachment.keys"
    key_file.write_text(GOOD["CASETRACK_ATTACHMENT_KEY"])
    key_file.chmod(0o644)
    result = _run({**env, "CASETRACK_ATTACHMENT_KEY_FILE": str(key_file)}, monkeypatch)
    assert "kan läsas av andra" in result.output
    key_file.chmod(0o600)
    assert _run({**env, "CASETRACK_ATTACHMENT_KEY_FILE": str(key_file)}, monkeypatch).exit_code == 0


def test_production_needs_a_second_factor_for_every_role(monkeypatch):
    # Unset is the production default ("all"); so is "all" said explicitly.
    assert "OK   Tvåstegsverifiering" in _run(GOOD, monkeypatch).output
    assert _run({**GOOD, "CASETRACK_MFA_ROLES": "all"}, monkeypatch).exit_code == 0
    every_role = "admin,manager,quality,mas,sas,investigator,handler,staff"
    assert _run({**GOOD, "CASETRACK_MFA_ROLES": every_role}, monkeypatch).exit_code == 0
    # The old default, and an empty value, leave the case roles with a password only.
    for value in ("admin", "", "admin,manager"):
        result = _run({**GOOD, "CASETRACK_MFA_ROLES": value}, monkeypatch)
        assert result.exit_code == 1, value
        assert f"FEL  Tvåstegsverifiering: CASETRACK_MFA_ROLES={value!r} låter några " in (
            result.output
        )
        assert "Medarbetare" in result.output
        assert "standard i produktion är all" in result.output
    result = _run({**GOOD, "CASETRACK_MFA_ROLES": "admin,manager"}, monkeypatch)
    assert "Enhetschef" not in result.output.split("Tvåstegsverifiering")[1].split("\n")[0]
    # A misspelt role is named rather than silently ignored.
    result = _run({**GOOD, "CASETRACK_MFA_ROLES": "alla"}, monkeypatch)
    assert result.exit_code == 1
    assert "okända roller: alla" in result.output


def test_security_keys_need_the_real_https_address(monkeypatch):
    env = {k: v for k, v in GOOD.items() if k != "CASETRACK_BASE_URL"}
    result = _run(env, monkeypatch)
    assert result.exit_code == 1
    assert "FEL  Säkerhetsnycklar och adress: Adressen 'http://127.0.0.1:8000'" in result.output
    origin = {"CASETRACK_WEBAUTHN_ORIGIN": "https://casetrack.kommun.se"}
    assert _run({**env, **origin}, monkeypatch).exit_code == 0
    result = _run({**GOOD, "CASETRACK_WEBAUTHN_RP_ID": "10.1.2.3"}, monkeypatch)
    assert "är en IP-adress" in result.output
    result = _run({**GOOD, "CASETRACK_WEBAUTHN_RP_ID": "annan.se"}, monkeypatch)
    assert "måste vara värdnamnet i https://casetrack.kommun.se" in result.output
    assert _run({**GOOD, "CASETRACK_WEBAUTHN_RP_ID": "kommun.se"}, monkeypatch).exit_code == 0


def test_a_missing_security_contact_and_security_log_are_warnings(monkeypatch):
    result = _run(GOOD, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "VARNING  Säkerhetskontakt för larm: Ingen säkerhetskontakt" in result.output
    assert "VARNING  Säkerhetslogg" in result.output

    env = {**GOOD, "CASETRACK_SECURITY_CONTACT_EMAIL": "sakerhet@kommun.se",
           "CASETRACK_SECURITY_LOG": "stdout"}  # fmt: skip
    result = _run(env, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "VARNING" not in result.output


def test_login_throttling_counted_per_worker_fails_check_deploy(monkeypatch, redis_storage):
    """memory:// counts per gunicorn worker: five workers let 25 guesses through, not 5."""
    several = {**GOOD, "CASETRACK_WORKERS": "5"}
    result = _run(several, monkeypatch)
    assert result.exit_code == 1, result.output
    assert "FEL  Inloggningsspärr: Spärren räknas i minnet" in result.output
    assert "5 processer" in result.output
    assert "CASETRACK_RATELIMIT_STORAGE_URI=redis://" in result.output
    # Unset, the worker count is serve's default (2 × CPU cores + 1): more than one.
    defaults = {k: v for k, v in GOOD.items() if k != "CASETRACK_WORKERS"}
    assert "FEL  Inloggningsspärr" in _run(defaults, monkeypatch).output
    # One worker (more threads) counts in one place: memory is fine there.
    single = _run({**GOOD, "CASETRACK_WORKERS": "1"}, monkeypatch)
    assert single.exit_code == 0, single.output
    assert "OK   Inloggningsspärr" in single.output
    # A shared Redis is fine with any number of workers, and is actually reached.
    url, _ = redis_storage
    shared = _run({**several, "CASETRACK_RATELIMIT_STORAGE_URI": url}, monkeypatch)
    assert shared.exit_code == 0, shared.output
    assert "OK   Inloggningsspärr" in shared.output


def test_an_unreachable_or_unknown_limiter_storage_fails_check_deploy(monkeypatch):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    env = {**GOOD, "CASETRACK_WORKERS": "5"}
    result = _run({**env, "CASETRACK_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{port}/0"},
                  monkeypatch)  # fmt: skip
    assert result.exit_code == 1
    assert "FEL  Inloggningsspärr: Lagringen för spärren svarar inte" in result.output
    secret_uri = "reddis://:hemligt-lösen@x"  # pragma: allowlist secret
    result = _run({**env, "CASETRACK_RATELIMIT_STORAGE_URI": secret_uri}, monkeypatch)
    assert result.exit_code == 1
    assert (
        "FEL  Inloggningsspärr: CASETRACK_RATELIMIT_STORAGE_URI börjar med 'reddis://': det"
        in result.output
    )
    assert "hemligt-lösen" not in result.output


def test_identity_providers_must_require_a_second_factor_and_https(monkeypatch):
    providers = (
        '[[provider]]\nkey = "entra"\nprotocol = "oidc"\nname = "Stadens konto"\n'
        'metadata_url = "http://login.kommun.se/.well-known/openid-configuration"\n'
        'client_id = "casetrack"\nclient_secret = "test-only"\n'  # pragma: allowlist secret
    )
    result = _run({**GOOD, "CASETRACK_SSO_PROVIDERS": providers}, monkeypatch)
    assert result.exit_code == 1
    assert "FEL  Inloggning via organisationens identitetsleverantör" in result.output
    assert "har inget krav på tvåstegsverifiering" in result.output
    assert "metadata_url måste börja med https://" in result.output
    assert "VARNING  Inloggning med lösenord" in result.output

    providers = providers.replace("http://", "https://") + 'required_amr = ["mfa"]\n'
    env = {**GOOD, "CASETRACK_SSO_PROVIDERS": providers, "CASETRACK_LOCAL_LOGIN": "admin"}
    result = _run(env, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "OK   Inloggning via organisationens identitetsleverantör" in result.output
    assert "VARNING  Inloggning med lösenord" not in result.output


def test_a_saml_provider_must_want_signed_assertions_and_have_its_own_key(monkeypatch):
    providers = (
        '[[provider]]\nkey = "siths"\nprotocol = "saml"\nname = "SITHS-kort"\n'
        'required_acr = ["http://id.elegnamnden.se/loa/1.0/loa3"]\n'
        'idp_metadata_url = "https://idp.inera.example/metadata"\n'
        "want_assertions_signed = false\n"
    )
    env = {**GOOD, "CASETRACK_SSO_PROVIDERS": providers, "CASETRACK_LOCAL_LOGIN": "admin"}
    result = _run(env, monkeypatch)
    assert result.exit_code == 1
    assert "want_assertions_signed = false tar emot osignerade intyg" in result.output
    assert "ingen egen nyckel och certifikat för SAML" in result.output


def test_a_provider_missing_what_it_needs_or_with_a_misspelt_option_fails(monkeypatch):
    providers = (
        '[[provider]]\nkey = "entra"\nprotocol = "oidc"\nname = "Stadens konto"\n'
        'required_amr = ["mfa"]\ngrups_claim = "groups"\n'
    )
    result = _run({**GOOD, "CASETRACK_SSO_PROVIDERS": providers}, monkeypatch)
    assert result.exit_code == 1
    assert "unknown oidc option(s) grups_claim" in result.output
    providers = providers.replace('grups_claim = "groups"\n', "")
    result = _run({**GOOD, "CASETRACK_SSO_PROVIDERS": providers}, monkeypatch)
    assert result.exit_code == 1
    assert (
        "metadata_url, client_id, client_secret_file (or client_private_key_file) is not set"
        in (result.output)
    )
