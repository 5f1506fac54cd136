from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "opstap.demo"
    label = "demo"
    verbose_name = "Demo data"
