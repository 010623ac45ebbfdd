"""Shared fixtures for the validation tests: GİB's package installed once per session into a tmp root."""

from pathlib import Path

import pytest

from tests.gib import GIB

SAMPLES = GIB / "samples"


@pytest.fixture(scope="session")
def gib_root(tmp_path_factory) -> Path:
    from django.test import override_settings

    from schematron.package import package_install

    root = tmp_path_factory.mktemp("gib-packages")
    with override_settings(GIB_PACKAGES_ROOT=root):
        package_install(source=GIB)
    return root


@pytest.fixture
def gib_package(settings, gib_root) -> Path:
    settings.GIB_PACKAGES_ROOT = gib_root
    return gib_root
