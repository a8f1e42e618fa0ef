from django.urls import path

from safeguarding.panel import views

app_name = "panel"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("<int:referral_id>/", views.referral_detail, name="detail"),
]
