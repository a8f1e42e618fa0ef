"""Every image and font the stylesheets ask for at /assets/ is served: GOV.UK Frontend's (WHITENOISE_ROOT)
and MoJ Frontend's (its filter's remove-tag crosses, its progress tick), whose stylesheet asks for its
own images at /assets/images/ too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

STYLESHEETS = {
    "GOV.UK Frontend": Path(settings.FRONTEND_DIR) / "govuk-frontend" / "dist" / "govuk" / "govuk-frontend.min.css",
    "MoJ Frontend": Path(settings.FRONTEND_DIR) / "@ministryofjustice" / "frontend" / "moj" / "moj-frontend.min.css",
}
_ASSET = re.compile(r"url\(\s*['\"]?(/assets/[^'\")?#]+)")


@pytest.mark.parametrize("stylesheet", sorted(STYLESHEETS))
def test_every_asset_a_stylesheet_asks_for_is_served(stylesheet: str) -> None:
    wanted = sorted(set(_ASSET.findall(STYLESHEETS[stylesheet].read_text())))
    assert wanted, f"{stylesheet} asks for nothing at /assets/ (has its stylesheet moved?)"
    client = Client()
    missing = [url for url in wanted if client.get(url).status_code != 200]
    assert not missing, f"{stylesheet} asks for these and they are not served: {missing}"


def test_a_name_served_at_both_stays_govuk_frontends(tmp_path: Path) -> None:
    """A folder added beside GOV.UK Frontend's assets serves its own files without replacing one of
    GOV.UK Frontend's (none of MoJ Frontend's images shares a name today)."""
    (tmp_path / "favicon.ico").write_bytes(b"not GOV.UK Frontend's")
    (tmp_path / "only-here.svg").write_text("<svg/>")
    govuk = (Path(settings.WHITENOISE_ROOT) / "assets" / "images" / "favicon.ico").read_bytes()
    with override_settings(HUB_ROOT_ASSETS=[(tmp_path, "assets/images")]):
        client = Client()  # its middleware is made at its first request
        assert b"".join(client.get("/assets/images/favicon.ico").streaming_content) == govuk  # type: ignore[attr-defined]
        assert b"".join(client.get("/assets/images/only-here.svg").streaming_content) == b"<svg/>"  # type: ignore[attr-defined]
