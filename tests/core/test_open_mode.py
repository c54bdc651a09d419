"""Without any key the gateway serves loopback only; with keys it demands them."""

from __future__ import annotations

import pytest

from tenbin.errors import AuthenticationFailed
from tenbin.gateway.auth import Authenticator
from tenbin.gateway.server import safe_host


async def test_open_mode_serves_loopback_only() -> None:
    auth = Authenticator(None, None)
    assert auth.open_mode
    assert (await auth.authenticate(None, "127.0.0.1")).name is None
    assert (await auth.authenticate(b"Bearer anything", "::1")).name is None
    with pytest.raises(AuthenticationFailed):
        await auth.authenticate(None, "10.1.2.3")


async def test_master_key_is_required_once_set() -> None:
    auth = Authenticator(None, "sekret")
    assert not auth.open_mode
    assert (await auth.authenticate(b"Bearer sekret", "10.0.0.1")).is_master
    with pytest.raises(AuthenticationFailed):
        await auth.authenticate(b"Bearer sekreT", "127.0.0.1")
    with pytest.raises(AuthenticationFailed):
        await auth.authenticate(b"Basic c2VrcmV0", "127.0.0.1")


def test_safe_host_refuses_to_expose_an_open_gateway() -> None:
    host, warning = safe_host("0.0.0.0", is_open=True)
    assert host == "127.0.0.1" and warning and "loopback" in warning
    assert safe_host("0.0.0.0", is_open=False) == ("0.0.0.0", None)
