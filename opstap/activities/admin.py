"""Django admin is for configuration and support only; day-to-day work happens in the pages
(which go through the services and their audit trail)."""

from django.contrib import admin

from .models import Activity, ActivitySeries


@admin.register(ActivitySeries)
class ActivitySeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "planned_sessions"]
    list_filter = ["organisation"]
    search_fields = ["title"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "starts_at", "organisation", "capacity"]
    list_filter = ["organisation", "kind"]
    search_fields = ["title", "external_reference"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["facilitator", "series"]
    filter_horizontal = ["programmes"]
    readonly_fields = ["created_at"]
