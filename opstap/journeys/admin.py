"""Route types and programmes are configuration: admin is allowed to edit them."""

from django.contrib import admin

from .models import PerformanceTarget, Programme, RouteOutcome, RouteType


class RouteOutcomeInline(admin.TabularInline):
    model = RouteOutcome
    extra = 0


@admin.register(RouteType)
class RouteTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "organisation", "is_active"]
    inlines = [RouteOutcomeInline]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "organisation", "starts_on", "ends_on"]


@admin.register(PerformanceTarget)
class PerformanceTargetAdmin(admin.ModelAdmin):
    list_display = ["organisation", "route_code", "success_rate", "valid_from", "valid_to"]
