from django.urls import path

from safeguarding.dataprotection import views

app_name = "dataprotection"

urlpatterns = [path("", views.trail, name="trail")]
