from django.contrib.auth import views as auth_views
from django.urls import path

from matching.portal import views

app_name = "portal"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="portal/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("programs/<str:ref>/", views.program_detail, name="program"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal"),
    path("proposals/<int:pk>/accept/", views.proposal_accept_view, name="accept"),
    path("proposals/<int:pk>/decline/", views.proposal_decline_view, name="decline"),
]
