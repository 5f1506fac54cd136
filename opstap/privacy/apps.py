from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "opstap.privacy"
    label = "privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from opstap.core.dashboard import Panel, register
        from opstap.core.models import register_action_labels
        from opstap.core.roles import Capability

        # Each app's `privacy.py` registers its personal data (registry.py).
        autodiscover_modules("privacy")
        register_action_labels(
            {
                "privacy.export_request": _("Data export requested"),
                "privacy.export_download": _("Data export downloaded"),
                "privacy.erase": _("Personal data erased"),
                "privacy.restrict": _("Processing restricted"),
                "privacy.unrestrict": _("Restriction of processing lifted"),
                "privacy.breach_record": _("Data breach recorded"),
                "privacy.breach_update": _("Data breach updated"),
            }
        )

        def sees_privacy(membership) -> bool:  # type: ignore[no-untyped-def]
            return (
                membership.can(Capability.MANAGE_MEMBERS)
                or membership.can(Capability.READ_AUDIT)
                or (
                    membership.can(Capability.EDIT_CLIENTS)
                    and membership.can(Capability.VIEW_ALL_CLIENTS)
                )
            )

        # Links only, no query: the dashboard's query count is pinned by core's tests.
        register(
            Panel(
                key="privacy",
                template="privacy/partials/dashboard_panel.html",
                applies=sees_privacy,
                context=lambda request, membership: {},
                order=90,
            )
        )
