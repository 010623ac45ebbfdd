"""A test PKI, made once per run: the root the tests trust, and seals issued under it."""

import pytest

from signing import pki


@pytest.fixture(scope="session")
def test_root() -> pki.Issued:
    return pki.root_ca("Test Mali Mühür Kök")


@pytest.fixture(scope="session")
def seal_a(test_root) -> pki.Issued:
    """Tenant A's seal (VKN 1234567890), valid today."""
    return pki.seal(test_root, identifier="1234567890", title="A Tekstil A.Ş.")


@pytest.fixture(scope="session")
def seal_b(test_root) -> pki.Issued:
    """Tenant B's seal (VKN 4840847211), valid today: B answers A's invoices, so B seals answers."""
    return pki.seal(test_root, identifier="4840847211", title="B Gıda Ltd. Şti.")
