from django.urls import path

from cases.public import views

app_name = "disclosure"

urlpatterns = [
    path("", views.disclosure_list, name="list"),
    path("index.json", views.disclosure_list_json, name="list-json"),
    path("<str:token>/", views.disclosure_detail, name="detail"),
    path("<str:token>.json", views.disclosure_detail_json, name="detail-json"),
]
