"""Strict typed config: unknown keys name their path, ${ENV} interpolates, references are checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenbin.config import load_settings, settings_from_dict
from tenbin.errors import ConfigError

ISSUE_EXAMPLE = """
providers:
  upstream1:
    type: openai
    base_url: http://127.0.0.1:9000/v1
    api_key: ${UPSTREAM_KEY}
  claude: {type: anthropic, api_key: ${ANTHROPIC_API_KEY}}
  gemini: {type: gemini, api_key: ${GEMINI_API_KEY}}
  here:   {type: local}
models:
  - name: fast
    provider: upstream1
    model: mock-model
    price: {input_per_mtok: 0.15, output_per_mtok: 0.60}
"""


def test_the_documented_shape_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("UPSTREAM_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.setenv(name, f"secret-{name}")
    path = tmp_path / "tenbin.yaml"
    path.write_text(ISSUE_EXAMPLE)
    settings = load_settings(path)
    assert settings.providers["upstream1"].api_key.get_secret_value() == "secret-UPSTREAM_KEY"  # type: ignore[union-attr]
    assert settings.models[0].price.output_per_mtok == 0.60  # type: ignore[union-attr]
    assert "secret" not in repr(settings)  # credentials never print


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"providers": {"a": {"type": "openai", "base_uri": "x"}}}, "providers.a.base_uri"),
        ({"models": [{"name": "m", "provider": "p", "model": "x", "prize": 1}]}, "models.0.prize"),
        ({"server": {"prot": 1}}, "server.prot"),
        ({"surprise": True}, "surprise"),
        ({"providers": {"p": {"type": "mock"}}, "models": [{"name": "m", "provider": "p", "model": "x",
          "price": {"input_per_mtok": -1}}]}, "models.0.price.input_per_mtok"),
    ],
)
def test_unknown_or_bad_keys_name_their_path(data: dict, path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_dict(data)
    assert path in caught.value.message


def test_models_must_name_a_configured_provider() -> None:
    with pytest.raises(ConfigError, match="unknown provider 'nope'"):
        settings_from_dict({"models": [{"name": "m", "provider": "nope", "model": "x"}]})


def test_env_interpolation_default_and_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TENBIN_TEST_UNSET", raising=False)
    settings = settings_from_dict({"providers": {"p": {"type": "openai", "base_url": "${TENBIN_TEST_UNSET:-http://x/v1}"}}})
    assert settings.providers["p"].base_url == "http://x/v1"
    with pytest.raises(ConfigError, match=r"providers\.p\.api_key: environment variable TENBIN_TEST_UNSET"):
        settings_from_dict({"providers": {"p": {"type": "openai", "api_key": "${TENBIN_TEST_UNSET}"}}})


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("providers: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just a string")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_settings(scalar)


def test_unknown_provider_type_is_a_clear_error() -> None:
    from tenbin.engine import Engine

    settings = settings_from_dict({"providers": {"p": {"type": "carrier-pigeon"}}})
    with pytest.raises(ConfigError, match=r"providers\.p: unknown provider type 'carrier-pigeon'"):
        Engine(settings)
