from django.urls import path

from safeguarding.notifications import views

app_name = "notifications"

urlpatterns = [path("", views.mine, name="mine")]
