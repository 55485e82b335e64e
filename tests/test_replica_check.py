"""The replica's usability is measured in the background: a replica that accepts connections and
then never answers holds up no request, and until a measurement succeeds the primary serves."""

from __future__ import annotations

import socket
from pathlib import Path

from congdan.config import Settings
from congdan.db import make_engine
from congdan.replica import open_replica
from tests.conftest import TEST_DATA_KEY


async def test_a_replica_that_never_answers_holds_up_no_request(tmp_path: Path) -> None:
    with socket.socket() as silent:
        # Listening, never accepting: a connection is queued and its handshake gets no answer.
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{silent.getsockname()[1]}/postgres"
        settings = Settings(
            data_dir=tmp_path,
            database_url=url,
            database_replica_url=url,
            secret_key="test-secret-key",
            data_key=TEST_DATA_KEY,
        )
        primary = make_engine(settings)
        replica = open_replica(settings, primary)
        assert replica is not None
        try:
            assert await replica.check() is False  # answered at once: the primary serves
            assert replica.measuring
            assert await replica.check() is False
            await replica.settled()  # the measurement gives up after its timeout
            assert replica.usable is False and replica.lag is None
        finally:
            await replica.close()
            await primary.dispose()
