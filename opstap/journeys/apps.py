from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    name = "opstap.journeys"
    label = "journeys"
    verbose_name = _("Routes")

    def ready(self) -> None:
        from .panels import register_all

        register_all()
