from django.urls import path

from safeguarding.workflows import views

app_name = "workflows"

urlpatterns = [path("", views.jobs, name="jobs")]
