"""The settings: one declaration, one precedence, one-line errors, documented."""

import subprocess
import sys
from pathlib import Path

import pytest

from caonto import config

DOCS = Path(__file__).resolve().parent.parent / "docs" / "endpoint.md"


def test_explicit_config_beats_the_environment_which_beats_the_default():
    environ = {"CAONTO_MAX_ROWS": "77", "CAONTO_QUERY_TIMEOUT": "2.5"}
    settings = config.load({"CAONTO_QUERY_TIMEOUT": 1.0}, environ=environ)
    assert settings.max_rows == 77
    assert settings.query_timeout == 1.0
    assert settings.max_request_bytes == config.BY_NAME["CAONTO_MAX_REQUEST_BYTES"].default


def test_an_explicit_empty_value_turns_off_what_the_environment_sets():
    environ = {"CAONTO_TOKENS": "s3cret-token-0123456789 https://example.org/alice"}
    assert config.load({"CAONTO_TOKENS": ""}, environ=environ).tokens == ""
    assert config.load(environ=environ).tokens.startswith("s3cret")


@pytest.mark.parametrize("name, raw, accepted", [
    ("CAONTO_MAX_ROWS", "lots", "whole number ≥ 1"),
    ("CAONTO_PROCESSES", "auto", "whole number ≥ 1"),
    ("CAONTO_QUERY_TIMEOUT", "nan", "number ≥ 0.001"),
    ("CAONTO_DISK_STORE", "maybe", "on, off or auto"),
    ("CAONTO_REASONER", "hermit", "fast, owlrl"),
    ("CAONTO_WORKER_MEMORY_MB", "100", "≥ 512"),
])
def test_a_bad_value_is_one_line_naming_the_variable_and_what_it_accepts(name, raw, accepted):
    with pytest.raises(config.ConfigError) as raised:
        config.load(environ={name: raw})
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"{name}=")
    assert accepted in message


def test_store_credentials_need_a_user_and_a_colon_and_are_never_shown():
    assert config.load(environ={"CAONTO_STORE_CREDENTIALS": "caonto:pa:ss"}).store_credentials \
        == "caonto:pa:ss"
    for raw in ("just-a-password", ":password"):
        with pytest.raises(config.ConfigError) as raised:
            config.load(environ={"CAONTO_STORE_CREDENTIALS": raw})
        assert "USER:PASSWORD" in str(raised.value) and raw not in str(raised.value)


def test_a_bad_token_setting_is_one_line_and_never_shows_the_token():
    from caonto.contrib.auth import load_tokens

    with pytest.raises(config.ConfigError) as raised:
        load_tokens("tooshort https://example.org/alice")
    assert "\n" not in str(raised.value) and "tooshort" not in str(raised.value)


def test_an_unknown_setting_in_the_config_is_refused():
    with pytest.raises(config.ConfigError, match="CAONTO_MAX_ROW is not a caonto setting"):
        config.load({"CAONTO_MAX_ROW": 5}, environ={})


def test_the_settings_object_has_exactly_the_declared_fields():
    assert set(config.Settings.__dataclass_fields__) == {s.field for s in config.DECLARED}


def test_a_bad_setting_stops_every_subcommand_with_exit_2_and_no_traceback(tmp_path):
    bad = tmp_path / "x.ttl"
    bad.write_text("")
    done = subprocess.run([sys.executable, "-m", "caonto.cli", "validate", str(bad)],
                          env={"CAONTO_PROCESSES": "auto", "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == ("caonto: CAONTO_PROCESSES='auto' (environment) is not "
                                   "valid: expected a whole number ≥ 1")


def test_the_documented_settings_table_is_the_declaration():
    assert config.markdown_table() in DOCS.read_text(encoding="utf-8")
