"""A client that forges X-Forwarded-For does not get a fresh rate limit per forged address: the
header is read only from proxies listed in CONGDAN_TRUSTED_PROXIES, and then the right-most
address that is not a trusted proxy is the client. Against a real `congdan serve`, from 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from congdan.config import Settings
from tests.conftest import report_body
from tests.live_server import congdan_script, congdan_serve


async def _logins(base: str, forwarded: list[str]) -> list[int]:
    statuses = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for i, header in enumerate(forwarded):
            r = await client.post(
                "/api/v1/auth/login",
                # A different email each time: only the per-client limit can stop this.
                json={"email": f"doan.{i}@example.vn", "password": "sai-mat-khau"},
                headers={"X-Forwarded-For": header},
            )
            statuses.append(r.status_code)
    return statuses


async def test_forged_addresses_share_the_limit_of_the_real_client(
    settings: Settings, tmp_path: Path
) -> None:
    # The default limits, as the attack met them: 20 sign-in attempts a minute per client.
    with congdan_serve(settings, tmp_path / "server.log", rate_limits=True) as server:
        base = server.url
        statuses = await _logins(base, [f"198.51.100.{i}" for i in range(25)])
    assert statuses[:20] == [401] * 20
    assert set(statuses[20:]) == {429}


async def test_code_requests_with_forged_addresses_are_limited(settings: Settings, tmp_path: Path) -> None:
    with congdan_serve(settings, tmp_path / "server.log", rate_limits=True) as server:
        base = server.url
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            statuses = [
                (
                    await client.post(
                        "/api/v1/auth/code",
                        json={"phone": f"+849011{i:05d}"},
                        headers={"X-Forwarded-For": f"203.0.113.{i}"},
                    )
                ).status_code
                for i in range(12)
            ]
    assert statuses[:10] == [202] * 10
    assert set(statuses[10:]) == {429}


async def test_anonymous_reports_with_forged_addresses_are_limited(
    settings: Settings, tmp_path: Path
) -> None:
    with congdan_serve(settings, tmp_path / "server.log", rate_limits=True) as server:
        base = server.url
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            statuses = [
                (
                    await client.post(
                        "/api/v1/reports", json=report_body(), headers={"X-Forwarded-For": f"192.0.2.{i}"}
                    )
                ).status_code
                for i in range(32)
            ]
    assert statuses[:30] == [201] * 30
    assert set(statuses[30:]) == {429}


@pytest.mark.parametrize("trusted", ["127.0.0.1/32", "127.0.0.0/8, 10.0.0.0/8"])
async def test_behind_a_trusted_proxy_the_right_most_untrusted_address_counts(
    settings: Settings, tmp_path: Path, trusted: str
) -> None:
    limits = json.dumps({"login_client": "2/minute"})
    with congdan_serve(
        settings,
        tmp_path / "server.log",
        rate_limits=True,
        CONGDAN_TRUSTED_PROXIES=trusted,
        CONGDAN_RATE_LIMITS=limits,
    ) as server:
        base = server.url
        # The client forges the left part; the proxy appends the address it saw.
        first = await _logins(base, [f"192.0.2.{i}, 203.0.113.7" for i in range(3)])
        other = await _logins(base, ["192.0.2.99, 203.0.113.8"])
    assert first == [401, 401, 429]
    assert other == [401]


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    with pytest.raises(ValueError, match="CONGDAN_TRUSTED_PROXIES"):
        Settings(trusted_proxies="127.0.0.1, localhost")
    assert Settings(trusted_proxies=" 10.0.0.0/8 ,::1").trusted_proxy_list == ["10.0.0.0/8", "::1"]
    assert Settings().trusted_proxy_list == []


def test_serve_refuses_a_malformed_trusted_proxy_list(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGDAN_")}
    env["CONGDAN_TRUSTED_PROXIES"] = "10.0.0.1, proxy.local"
    result = subprocess.run(
        [congdan_script(), "serve", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "CONGDAN_TRUSTED_PROXIES: 'proxy.local' is not an IP address or network" in result.stderr
    assert "Traceback" not in result.stderr
