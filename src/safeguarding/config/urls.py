"""URL map: one include per room."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from safeguarding.accounts.views import home


def health(_request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", home, name="home"),
    path("health/", health, name="health"),
    path("", include("safeguarding.accounts.urls")),
    path("people/", include("safeguarding.people.urls")),
    path("concerns/", include("safeguarding.frontdoor.urls")),
    path("audit/", include("safeguarding.dataprotection.urls")),
    path("matches/", include("safeguarding.linkage.urls")),
    path("alerts/", include("safeguarding.earlywarning.urls")),
    path("rules/", include("safeguarding.earlywarning.rule_urls")),
    path("panel/", include("safeguarding.panel.urls")),
    path("screening/", include("safeguarding.screening.urls")),
    path("support/", include("safeguarding.support.urls")),


    path("networks/", include("safeguarding.contexts.urls")),
    path("justice/", include("safeguarding.justice.urls")),
    path("mace/", include("safeguarding.mace.urls")),
    path("clocks/", include("safeguarding.clocks.urls")),
    path("messages/", include("safeguarding.notifications.urls")),
    path("jobs/", include("safeguarding.workflows.urls")),
    path("figures/", include("safeguarding.insight.urls")),
]
