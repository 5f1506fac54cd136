from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    name = "opstap.journeys"
    label = "journeys"
    verbose_name = _("Routes")

    def ready(self) -> None:
        from opstap.core.models import register_change_fields

        from .panels import register_all

        register_all()
        # The notes a trajectory's events carry beside its own fields.
        register_change_fields(
            "journeys.trajectory", {"on": (_("date"), None), "route": (_("route"), None)}
        )
