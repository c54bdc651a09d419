"""`tenbin keys` stores only hashes; `tenbin models` and `tenbin chat` work against config and a live gateway."""

from __future__ import annotations

from tests.gateway.conftest import RunningGateway


def test_keys_are_stored_only_as_hashes(gateway: RunningGateway) -> None:
    created = gateway.cli("keys", "create", "--name", "hash-check")
    key = created.stdout.strip().splitlines()[0]
    assert key.startswith("tb-") and len(key) > 30
    database_bytes = b"".join(path.read_bytes() for path in gateway.home.glob("tenbin.db*"))
    assert key.encode() not in database_bytes
    listing = gateway.cli("keys", "list")
    assert "hash-check" in listing.stdout and key not in listing.stdout
    assert "revoked" in listing.stdout  # the fixture's revoked key


def test_duplicate_key_name_is_refused(gateway: RunningGateway) -> None:
    again = gateway.cli("keys", "create", "--name", "team")
    assert again.returncode != 0 and "already exists" in again.stderr


def test_revoke_unknown_key_fails_cleanly(gateway: RunningGateway) -> None:
    result = gateway.cli("keys", "revoke", "never-was")
    assert result.returncode == 1 and "no active key" in result.stderr


def test_models_command_lists_config(gateway: RunningGateway) -> None:
    result = gateway.cli("models", "--config", str(gateway.config))
    assert result.returncode == 0 and "fast" in result.stdout and "0.15" in result.stdout


def test_chat_command_streams_an_answer(gateway: RunningGateway) -> None:
    result = gateway.cli("chat", "日本語で答えて", "--model", "fast", "--base-url", f"{gateway.base_url}/v1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "echo: 日本語で答えて"


def test_chat_command_reports_errors(gateway: RunningGateway) -> None:
    result = gateway.cli("chat", "x", "--model", "gpt-99", "--base-url", f"{gateway.base_url}/v1")
    assert result.returncode == 1 and "404" in result.stderr
