"""The test base: tenant A, and an outsider B who must never see anything of A's."""

import pytest
from django.db import connection
from django.utils import translation

from tests.factories import make_tenant, make_user, register_customers

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # The manifest storage needs `collectstatic`; tests render pages without running it.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture(autouse=True)
def _english_messages(monkeypatch):
    # Tests read service messages in English, and commands speak it (integrator.commands reads
    # LANGUAGE); pages and the API choose their own language per request.
    monkeypatch.setenv("LANGUAGE", "en")
    with translation.override("en"):
        yield


@pytest.fixture
def tenant_a(db):
    register_customers()  # A's customers are on GİB's list: its invoices go as e-Fatura
    return make_tenant("1234567890", "A Tekstil A.Ş.", domain="a-tekstil.com.tr", prefix="AAA")


@pytest.fixture
def tenant_b(db):
    register_customers()
    return make_tenant("4840847211", "B Gıda Ltd. Şti.", domain="b-gida.com.tr", prefix="BBB")


@pytest.fixture
def user_a(tenant_a):
    return make_user(tenant=tenant_a, role="owner", password=PASSWORD)


@pytest.fixture
def user_b(tenant_b):
    return make_user(tenant=tenant_b, role="owner", password=PASSWORD)


@pytest.fixture
def client_a(client, user_a):
    client.force_login(user_a)
    return client


@pytest.fixture
def client_b(client, user_b):
    client.force_login(user_b)
    return client


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


from tests.browser_fixtures import browser, page, portal  # noqa: E402, F401  (the portal in Chromium)
from tests.exchange_fixtures import exchange  # noqa: E402, F401  (A and B exchanging through the hub on the live server)
from tests.gib_fixtures import gib_package, gib_root  # noqa: E402, F401  (GİB's package, installed once per run)
from tests.pki_fixtures import seal_a, seal_b, test_root  # noqa: E402, F401  (the test PKI, made once per run)
from tests.softhsm import seal_a_hsm, softhsm  # noqa: E402, F401  (a SoftHSM2 token store, made once per run)
from tests.tsa_fixtures import local_tsa, serve  # noqa: E402, F401  (the local TSA, served once per run)

# Emptying the database after a transactional test. PostgreSQL's TRUNCATE makes new files for every
# table and index, and Django then recreates every content type and permission it emptied: about 2 s
# per test for this schema on a 2-CPU machine. Deleting the rows (foreign keys are deferred on
# PostgreSQL, so their order does not matter) and keeping the content types and permissions, which
# no test writes, takes a fraction of that. GİB's registered-user list (a million rows in one test) is
# still truncated.
TRUNCATED = ("envelopes_registeredalias", "envelopes_registereduser")
KEPT = ("django_content_type", "auth_permission")


def _deleting_flush(original):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        large = [table for table in tables if table in TRUNCATED]
        deletes = [f"DELETE FROM {self.quote_name(table)};" for table in tables if table not in TRUNCATED + KEPT]
        return (original(self, style, large, allow_cascade=allow_cascade) if large else []) + deletes

    return sql_flush


@pytest.fixture(scope="session", autouse=True)
def _archive_of_the_run(tmp_path_factory):
    """The run's archive in a folder of its own (a test that needs another sets ARCHIVE_* itself)."""
    from django.conf import settings

    from archive import storage

    before = settings.ARCHIVE_DIR, settings.EXPORT_DIR
    settings.ARCHIVE_DIR, settings.EXPORT_DIR = tmp_path_factory.mktemp("archive"), tmp_path_factory.mktemp("exports")
    storage._store.cache_clear()
    yield
    settings.ARCHIVE_DIR, settings.EXPORT_DIR = before
    storage._store.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def _fast_flush():
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush
    DatabaseOperations.sql_flush = _deleting_flush(original)
    yield
    DatabaseOperations.sql_flush = original
