from django.urls import path, register_converter

from . import views


class ExportFormat:
    regex = "csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExportFormat, "export_format")

app_name = "reporting"
urlpatterns = [
    path("", views.programme_list, name="index"),
    path("programmes/<id:pk>/", views.programme_detail, name="programme"),
    path(
        "programmes/<id:pk>/export.<export_format:fmt>",
        views.programme_export,
        name="programme_export",
    ),
    path("targets/", views.targets, name="targets"),
    path("targets/export.<export_format:fmt>", views.targets_export, name="targets_export"),
]
