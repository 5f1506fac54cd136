from django.urls import path

from . import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("client/<id:client_pk>/", views.client_plans, name="client_plans"),
    path("<id:pk>/", views.plan_detail, name="detail"),
    path("<id:pk>/new-version/", views.version_new, name="new_version"),
    path("<id:pk>/compare/", views.compare, name="compare"),
    path("<id:pk>/assessment/", views.assessment_request, name="assessment_request"),
    path("<id:pk>/v<id:number>/section/<slug:section>/", views.section_edit, name="section"),
    path("<id:pk>/v<id:number>/financial/<slug:step>/", views.financial_step, name="financial"),
    path("<id:pk>/v<id:number>/summary/", views.summary, name="summary"),
    path("<id:pk>/v<id:number>/comment/", views.comment_add, name="comment"),
    path("<id:pk>/v<id:number>/submit/", views.version_submit, name="submit"),
    path("<id:pk>/v<id:number>/plan.pdf", views.plan_pdf, name="pdf"),
    path("<id:pk>/v<id:number>/financial.xlsx", views.financial_export, name="export"),
    path("<id:pk>/v<id:number>/import/", views.financial_import, name="import"),
    path("assessments/", views.assessment_list, name="assessments"),
    path("assessments/<id:pk>/", views.assessment_detail, name="assessment"),
    path("assessments/<id:pk>/extend/", views.assessment_extend, name="assessment_extend"),
    path("assessments/<id:pk>/report/", views.assessment_update, name="assessment_update"),
    path("assessments/<id:pk>/decide/", views.assessment_decide, name="assessment_decide"),
    path("assumptions/", views.assumptions, name="assumptions"),
]
