from django.urls import path

from safeguarding.people import views

app_name = "people"

urlpatterns = [
    path("", views.search, name="search"),
    path("<int:person_id>/", views.person_detail, name="detail"),
]
