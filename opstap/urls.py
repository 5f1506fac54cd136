from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("clients/", include("opstap.clients.urls")),
    path("routes/", include("opstap.journeys.urls")),
    path("activities/", include("opstap.activities.urls")),
    path("coaching/", include("opstap.coaching.urls")),
    path("referrals/", include("opstap.referrals.urls")),
    path("loans/", include("opstap.lending.urls")),
    path("plans/", include("opstap.plans.urls")),
    path("privacy/", include("opstap.privacy.urls")),
    path("reports/", include("opstap.reporting.urls")),
    path("imports/", include("opstap.imports.urls")),
    path("", include("opstap.core.urls")),
]
