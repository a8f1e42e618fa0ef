from django.urls import path

from safeguarding.earlywarning import views

app_name = "earlywarning"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("missed-opportunities/", views.missed, name="missed"),
    path("<int:alert_id>/", views.alert_detail, name="detail"),
    path("<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:alert_id>/concern/", views.to_concern, name="concern"),
    path("<int:alert_id>/refer/", views.refer, name="refer"),
    path("<int:alert_id>/dismiss/", views.dismiss, name="dismiss"),
]
