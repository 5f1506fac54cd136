from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "opstap.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from opstap.core.models import register_action_labels

        from .panels import register_all

        register_all()
        register_action_labels(
            {
                "activity.create": _("Activity created"),
                "activity.update": _("Activity changed"),
                "activity.lead_create": _("Lead noted at an outreach action"),
                "outreach_count.record": _("Head count recorded"),
                "outreach_count.delete": _("Head count removed"),
                "registration.add": _("Registered for an activity"),
                "registration.cancel": _("Registration cancelled"),
                "registration.promote": _("Moved up from the wait list"),
                "registration.attendance": _("Attendance recorded"),
                "series.create": _("Series created"),
            }
        )
