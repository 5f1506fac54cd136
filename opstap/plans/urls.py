from django.urls import path

from . import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("client/<int:client_pk>/", views.client_plans, name="client_plans"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/new-version/", views.version_new, name="new_version"),
    path("<int:pk>/compare/", views.compare, name="compare"),
    path("<int:pk>/assessment/", views.assessment_request, name="assessment_request"),
    path("<int:pk>/v<int:number>/section/<slug:section>/", views.section_edit, name="section"),
    path("<int:pk>/v<int:number>/financial/<slug:step>/", views.financial_step, name="financial"),
    path("<int:pk>/v<int:number>/summary/", views.summary, name="summary"),
    path("<int:pk>/v<int:number>/comment/", views.comment_add, name="comment"),
    path("<int:pk>/v<int:number>/submit/", views.version_submit, name="submit"),
    path("<int:pk>/v<int:number>/plan.pdf", views.plan_pdf, name="pdf"),
    path("<int:pk>/v<int:number>/financial.xlsx", views.financial_export, name="export"),
    path("<int:pk>/v<int:number>/import/", views.financial_import, name="import"),
    path("assessments/", views.assessment_list, name="assessments"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path("assessments/<int:pk>/extend/", views.assessment_extend, name="assessment_extend"),
    path("assessments/<int:pk>/report/", views.assessment_update, name="assessment_update"),
    path("assessments/<int:pk>/decide/", views.assessment_decide, name="assessment_decide"),
    path("assumptions/", views.assumptions, name="assumptions"),
]
