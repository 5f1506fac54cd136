from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "opstap.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Registered at app loading, not in the root URLconf: the permission-matrix tests
        # import an app's urls module on its own, before the root URLconf is loaded.
        from django.urls import register_converter

        from . import checks, signin  # noqa: F401 - registers the checks and the receivers
        from .converters import IdConverter

        register_converter(IdConverter, "id")
