"""With no config: providers from the environment, local OpenAI-compatible servers, and always the mock."""

from __future__ import annotations

from tenbin.discovery import _local_models, discover
from tests.conftest import free_port
from tests.fakes.openai_upstream import FakeOpenAI
from tests.fakes.server import serve_in_thread


def test_empty_environment_still_offers_the_mock() -> None:
    settings = discover({}, probe_timeout_s=0.05)
    names = [model.name for model in settings.models]
    assert "mock" in names
    assert settings.providers["mock"].type == "mock"


def test_keys_in_the_environment_add_hosted_providers() -> None:
    settings = discover({"OPENAI_API_KEY": "sk-a", "ANTHROPIC_API_KEY": "sk-b", "GOOGLE_API_KEY": "g"}, probe_timeout_s=0.05)
    kinds = {name: provider.type for name, provider in settings.providers.items()}
    assert kinds["openai"] == "openai" and kinds["anthropic"] == "anthropic" and kinds["gemini"] == "gemini"
    assert settings.providers["gemini"].api_key.get_secret_value() == "g"  # type: ignore[union-attr]
    assert all(model.price is not None for model in settings.models if model.provider != "mock")


def test_local_server_probe() -> None:
    with serve_in_thread(FakeOpenAI().app) as url:
        assert _local_models(f"{url}/v1", 1.0) == ["echo"]
    assert _local_models(f"http://127.0.0.1:{free_port()}/v1", 0.2) == []


def test_a_server_that_is_not_http_is_ignored() -> None:
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def banner() -> None:
        connection, _ = listener.accept()
        connection.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        connection.close()

    threading.Thread(target=banner, daemon=True).start()
    try:
        assert _local_models(f"http://127.0.0.1:{listener.getsockname()[1]}/v1", 1.0) == []
    finally:
        listener.close()
