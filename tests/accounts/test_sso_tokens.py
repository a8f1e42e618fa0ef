"""Single sign-on's ID token, checked by the hub's backend with a real signature (HS256, keyed by the
client secret as OpenID Connect allows): a token that has expired, is not yet valid, was issued to
another client or by another provider is refused; and a refused token ends on the hub's refusal page,
recorded in the audit trail, rather than on an error page. The whole journey against a real provider
is tests/browser/test_single_sign_on_journey.py."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import Client, override_settings
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from safeguarding.accounts.single_sign_on import PROVIDER_SESSION_KEY, Provider, SingleSignOnBackend
from safeguarding.audit.models import AuditEvent, AuditEventType

SECRET = "a-client-secret-long-enough-for-hs256-0123456789"
ISSUER = "https://login.example.org"
PROVIDER = Provider(
    key="east", name="Eastshire Police sign-in", client_id="hub", client_secret=SECRET,
    authorization_endpoint=f"{ISSUER}/authorize", token_endpoint=f"{ISSUER}/token",
    userinfo_endpoint=f"{ISSUER}/userinfo", jwks_endpoint=f"{ISSUER}/jwks", issuer=ISSUER, sign_algo="HS256",
)


def _backend() -> SingleSignOnBackend:
    backend = SingleSignOnBackend()
    backend.provider = PROVIDER
    backend.OIDC_RP_CLIENT_ID, backend.OIDC_RP_CLIENT_SECRET = PROVIDER.client_id, SECRET
    backend.OIDC_RP_SIGN_ALGO, backend.OIDC_RP_IDP_SIGN_KEY = "HS256", None
    return backend


def _token(**changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "hub", "sub": "00u-jones", "iat": now, "exp": now + 300, "nonce": "n-1", **changes}
    return jwt.encode(claims, SECRET, algorithm="HS256")


def test_a_good_token_is_read() -> None:
    assert _backend().verify_token(_token(), nonce="n-1")["sub"] == "00u-jones"


@pytest.mark.parametrize(("changes", "why"), [
    ({"exp": int(time.time()) - 60}, "has expired"),
    ({"nbf": int(time.time()) + 3600}, "not yet valid"),
    ({"aud": "another-client"}, "issued to another client"),
    ({"iss": "https://elsewhere.example.org"}, "issued by another provider"),
], ids=["expired", "not-yet-valid", "another-client", "another-issuer"])
def test_a_token_the_hub_cannot_trust_is_refused(changes: dict[str, Any], why: str) -> None:
    with pytest.raises(SuspiciousOperation, match=why):
        _backend().verify_token(_token(**changes), nonce="n-1")


def test_a_provider_without_its_issuer_is_not_configured() -> None:
    """Entra ID's tenants share signing keys: without the issuer, another tenant's token would do."""
    from safeguarding.accounts.single_sign_on import _provider

    raw = {"client_id": "hub", "authorization_endpoint": "https://id.example/a", "token_endpoint": "https://id.example/t",
           "userinfo_endpoint": "https://id.example/u", "jwks_endpoint": "https://id.example/j"}
    with pytest.raises(ValueError, match="SSO_EAST_ISSUER is required"):
        _provider("east", raw)
    assert _provider("east", {**raw, "issuer": "https://id.example"}).issuer == "https://id.example"


@pytest.mark.django_db
def test_a_provider_set_up_wrong_is_left_off_the_sign_in_page_and_stops_the_start_up_check() -> None:
    """Everyone else must still be able to sign in with a password; the check run at start-up (and by
    ``safeguarding check``) names what is missing."""
    from django.test import Client
    from django.urls import reverse

    from safeguarding.accounts.single_sign_on import configuration_problems

    raw = {"name": "East sign-in", "client_id": "hub", "authorization_endpoint": "https://id.example/a",
           "token_endpoint": "https://id.example/t", "userinfo_endpoint": "https://id.example/u",
           "jwks_endpoint": "https://id.example/j"}
    with override_settings(SSO_PROVIDERS={"east": raw}):
        page = Client().get(reverse("accounts:sign-in"))
        problems = configuration_problems()
    assert page.status_code == 200 and "East sign-in" not in page.content.decode()
    assert [p.msg for p in problems] == ["Single sign-on provider east: SSO_EAST_ISSUER is required: the issuer "
                                         "this provider's tokens must name"]


@pytest.mark.django_db
def test_a_refused_token_ends_on_the_refusal_page_and_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    # What the library does once the provider has answered (fetch the tokens, check them) is replaced by
    # its outcome for an expired token, so that the hub's own handling of it is what is tested.
    def expired(self: Any, request: Any, **kwargs: Any) -> Any:
        raise SuspiciousOperation("The ID token was refused: Signature has expired")

    monkeypatch.setattr(OIDCAuthenticationBackend, "authenticate", expired)
    config = {"east": {"client_id": "hub", "client_secret": SECRET, "authorization_endpoint": PROVIDER.authorization_endpoint,
                       "token_endpoint": PROVIDER.token_endpoint, "userinfo_endpoint": PROVIDER.userinfo_endpoint,
                       "jwks_endpoint": PROVIDER.jwks_endpoint, "issuer": ISSUER, "sign_algo": "HS256"}}
    with override_settings(SSO_PROVIDERS=config):
        client = Client()
        session = client.session
        session[PROVIDER_SESSION_KEY] = "east"
        session["oidc_states"] = {"s-1": {"code_verifier": "v", "nonce": "n-1", "added_on": time.time()}}
        session.save()
        page = client.get(reverse("accounts:sso-callback"), {"code": "c-1", "state": "s-1"})
    assert page.status_code == 403 and "could not be accepted (it may have expired)" in page.content.decode()
    refused = AuditEvent.objects.get(event_type=AuditEventType.SSO_REFUSED)
    assert refused.detail["why"] == "The ID token was refused: Signature has expired"
