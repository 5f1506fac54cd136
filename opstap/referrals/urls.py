from django.urls import path

from . import views

app_name = "referrals"
urlpatterns = [
    path("", views.referral_list, name="list"),
    path("new/", views.referral_create, name="create"),
    path("<id:pk>/", views.referral_detail, name="detail"),
    path("<id:pk>/move/", views.referral_transition, name="transition"),
    path("<id:pk>/file/", views.shared_file, name="shared_file"),
]
