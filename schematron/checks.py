"""Start-up check: validation cannot work without an installed GİB package."""

from django.core import checks

from schematron.package import NOT_INSTALLED, PackageNotInstalled, active_package


@checks.register()
def gib_package_installed(app_configs, **kwargs) -> list[checks.CheckMessage]:
    try:
        active_package()
    except PackageNotInstalled:
        return [checks.Warning(NOT_INSTALLED, id="schematron.W001")]
    return []
