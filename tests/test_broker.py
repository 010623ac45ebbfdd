"""The embedded default's broker writes each message whole: a worker never reads one half-written."""

from pathlib import Path

import pytest
from kombu import Connection
from kombu.simple import SimpleQueue

from integrator.broker import PARTIAL, Transport


@pytest.fixture
def folder(tmp_path) -> Path:
    return tmp_path


def connection(folder: Path) -> Connection:
    return Connection("filesystem://localhost/", transport=Transport,
                      transport_options={"data_folder_in": str(folder), "data_folder_out": str(folder), "store_processed": False})


def test_a_message_goes_in_whole_and_comes_out_once(folder):
    with connection(folder) as conn:
        queue = SimpleQueue(conn, "work")
        queue.put({"text": "ş" * 10_000})
        assert [path.suffix for path in folder.iterdir()] == [".msg"]  # nothing left half-named
        assert queue.get(timeout=1).payload == {"text": "ş" * 10_000}
        assert list(folder.iterdir()) == []
        queue.close()


def test_a_message_still_being_written_is_not_taken(folder):
    with connection(folder) as conn:
        queue = SimpleQueue(conn, "work")
        (folder / f"1_00000000-0000-0000-0000-000000000000.work.msg{PARTIAL}").write_bytes(b'{"body": ')  # a writer mid-way
        with pytest.raises(SimpleQueue.Empty):
            queue.get(timeout=0.2)
        queue.close()


def test_the_platform_uses_it_on_the_embedded_default(settings):
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        assert settings.CELERY_BROKER_TRANSPORT == "integrator.broker:Transport"
    else:
        assert not hasattr(settings, "CELERY_BROKER_TRANSPORT")
