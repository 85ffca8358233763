from django.urls import path

from cases.api import views

urlpatterns = [
    path("crowdfunding/cases/", views.CrowdfundingCaseSubmitView.as_view(), name="api-crowdfunding-submit"),
    path("foundation-aid/cases/", views.FoundationAidCaseSubmitView.as_view(), name="api-foundation-aid-submit"),
    path("pap/cases/", views.PapCaseSubmitView.as_view(), name="api-pap-submit"),
    path("cases/<str:ref>/", views.CaseDetailView.as_view(), name="api-case-detail"),
]
