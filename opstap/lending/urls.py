from django.urls import path

from . import views

app_name = "lending"
urlpatterns = [
    path("", views.loan_list, name="list"),
    path("export.xlsx", views.loan_export, name="export"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("committee/", views.committee, name="committee"),
    path("products/", views.product_list, name="products"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/preview/", views.product_preview, name="product_preview"),
    path("products/<id:pk>/", views.product_detail, name="product_detail"),
    path("products/<id:pk>/edit/", views.product_edit, name="product_edit"),
    path("applications/", views.application_list, name="applications"),
    path("applications/new/", views.application_create, name="application_create"),
    path("applications/preview/", views.application_preview, name="application_preview"),
    path("applications/<id:pk>/", views.application_detail, name="application_detail"),
    path("applications/<id:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<id:pk>/submit/", views.application_submit, name="application_submit"),
    path("applications/<id:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("applications/<id:pk>/vote/", views.application_vote, name="application_vote"),
    path("<id:pk>/", views.loan_detail, name="detail"),
    path("<id:pk>/contract.pdf", views.loan_contract, name="contract"),
    path("<id:pk>/disburse/", views.loan_disburse, name="disburse"),
    path("<id:pk>/repay/", views.loan_repay, name="repay"),
    path("<id:pk>/waive/", views.loan_waive, name="waive"),
    path("<id:pk>/restructure/", views.loan_restructure, name="restructure"),
    path("<id:pk>/write-off/", views.loan_write_off, name="write_off"),
    path("<id:pk>/gift/", views.loan_convert_to_gift, name="convert_to_gift"),
    path("<id:pk>/close/", views.loan_close, name="close"),
    path(
        "<id:pk>/transactions/<id:transaction_pk>/reverse/",
        views.transaction_reverse,
        name="reverse",
    ),
]
