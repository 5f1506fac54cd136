from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "coaching.note_add": _("Case note added"),
    "coaching.note_update": _("Case note changed"),
    "coaching.session_log": _("Coaching session logged"),
    "coaching.action_add": _("Action added"),
    "coaching.action_complete": _("Action done"),
    "coaching.action_cancel": _("Action cancelled"),
    "coaching.volunteer_profile_save": _("Volunteer profile saved"),
}
CHANGE_NOTES = {
    "client_number": _("client number"),
    "text_changed": _("text changed"),
}


class CoachingConfig(AppConfig):
    name = "opstap.coaching"
    label = "coaching"
    verbose_name = _("Coaching")

    def ready(self) -> None:
        from opstap.core import dashboard
        from opstap.core import models as core_models

        from . import panels

        # Core has no registry for audit labels yet (unlike panels); its dictionaries are
        # read at display time, so adding this app's keys here names our events in the
        # audit log and on the client's timeline. Keys are prefixed "coaching." only.
        core_models.ACTION_LABELS.update(ACTION_LABELS)
        core_models.CHANGE_NOTES.update(CHANGE_NOTES)

        dashboard.register(
            dashboard.Panel(
                key="coaching.overdue_actions",
                template="coaching/panels/overdue_actions.html",
                applies=panels.applies_to_coaches,
                context=panels.overdue_actions,
                order=40,
            )
        )
        dashboard.register(
            dashboard.Panel(
                key="coaching.my_month",
                template="coaching/panels/my_month.html",
                applies=panels.applies_to_volunteers,
                context=panels.my_month,
                order=41,
            )
        )
        dashboard.register_client_section(
            dashboard.ClientSection(
                key="coaching",
                template="coaching/panels/client_section.html",
                applies=panels.applies_to_coaches,
                context=panels.client_section,
                order=40,
            )
        )
