"""A test PKI, made once per run: the root the tests trust, and seals issued under it."""

import datetime as dt

import pytest

from signing import pki
from tests.clock import VALID_DAYS, VALID_FROM


@pytest.fixture(scope="session")
def test_root() -> pki.Issued:
    """Valid from years before the tests' clock to years after: it holds every seal the tests issue,
    the expired ones included."""
    return pki.root_ca("Test Mali Mühür Kök", now=VALID_FROM - dt.timedelta(days=5 * 365), years=20)


@pytest.fixture(scope="session")
def seal_a(test_root) -> pki.Issued:
    """Tenant A's seal (VKN 1234567890), valid around the tests' clock."""
    return pki.seal(test_root, identifier="1234567890", title="A Tekstil A.Ş.", not_before=VALID_FROM, days=VALID_DAYS)


@pytest.fixture(scope="session")
def seal_b(test_root) -> pki.Issued:
    """Tenant B's seal (VKN 4840847211), valid around the tests' clock: B answers A's invoices, so B seals answers."""
    return pki.seal(test_root, identifier="4840847211", title="B Gıda Ltd. Şti.", not_before=VALID_FROM, days=VALID_DAYS)
