from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "opstap.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        from opstap.core.dashboard import Panel, register

        from .runner import may_import

        # The page has no entry in the main navigation (core's base.html); the dashboard
        # panel is the way in. It costs no query.
        register(
            Panel(
                key="imports.start",
                template="imports/partials/panel.html",
                applies=may_import,
                context=lambda request, membership: {},
                order=90,
            )
        )
