"""Single sign-on through OpenID Connect (mozilla-django-oidc), for agencies whose staff sign in
with Microsoft Entra ID or another provider. Each provider is configured by environment variables
(``SSO_PROVIDERS`` and ``SSO_<NAME>_*``, read into ``settings.SSO_PROVIDERS``), including the mapping
from the provider's groups to the hub's agency and role. The hub keeps the provider's subject
(``sub``) for each person, never matching on an e-mail address.

A sign-in through the provider counts as the hub's second factor only when the provider's ID token
says a second factor was used (its ``amr`` claim names one of ``mfa_amr``, "mfa" by default);
otherwise the hub asks for its own (docs/security.md)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from safeguarding.accounts import services
from safeguarding.accounts.models import Agency, Role
from safeguarding.core.errors import ServiceError

logger = logging.getLogger(__name__)

PROVIDER_SESSION_KEY = "sso_provider"
MFA_SESSION_KEY = "sso_second_factor"


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    client_id: str
    client_secret: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_endpoint: str
    issuer: str = ""
    sign_algo: str = "RS256"
    scopes: str = "openid email profile"
    groups_claim: str = "groups"
    # group -> (agency code, role)
    groups: dict[str, tuple[str, str]] = field(default_factory=dict)
    mfa_amr: frozenset[str] = frozenset({"mfa"})


def _provider(key: str, raw: dict[str, Any]) -> Provider:
    groups_raw = raw.get("groups") or {}
    if isinstance(groups_raw, str):
        groups_raw = json.loads(groups_raw) if groups_raw.strip() else {}
    groups: dict[str, tuple[str, str]] = {}
    for group, target in groups_raw.items():
        role = target["role"]
        # A built-in role, or one of the partnership's own (its code, "own-…", from the Roles page): whether
        # that one is still offered is checked at each sign-in (services.sso_sign_in), as the roles are in
        # the database and the mapping is read before it is open.
        if role not in Role.values and not str(role).startswith("own-"):
            raise ValueError(f"SSO_{key.upper()}_GROUPS names the role {role!r}, which the hub does not have")
        groups[str(group)] = (str(target["agency"]), role)
    amr = raw.get("mfa_amr") or "mfa"
    if not str(raw.get("issuer") or "").strip():
        # Without it a token another tenant of the same provider signed (Entra ID's tenants share keys)
        # would be taken for this one's.
        raise ValueError(f"SSO_{key.upper()}_ISSUER is required: the issuer this provider's tokens must name")
    return Provider(
        key=key,
        name=raw.get("name") or key,
        client_id=raw["client_id"],
        client_secret=raw.get("client_secret", ""),
        authorization_endpoint=raw["authorization_endpoint"],
        token_endpoint=raw["token_endpoint"],
        userinfo_endpoint=raw["userinfo_endpoint"],
        jwks_endpoint=raw["jwks_endpoint"],
        issuer=str(raw["issuer"]).strip(),
        sign_algo=raw.get("sign_algo") or "RS256",
        scopes=raw.get("scopes") or "openid email profile",
        groups_claim=raw.get("groups_claim") or "groups",
        groups=groups,
        mfa_amr=frozenset(a.strip() for a in (amr.split(",") if isinstance(amr, str) else amr) if a.strip()),
    )


def providers() -> dict[str, Provider]:
    """The configured providers, by key (``settings.SSO_PROVIDERS``: key -> its settings). One whose
    settings are wrong is left off (and logged; ``configuration_problems`` is the start-up check): the
    sign-in page must still answer everyone who signs in with a password."""
    found = {}
    for key, raw in (settings.SSO_PROVIDERS or {}).items():
        try:
            found[key] = _provider(key, raw)
        except (KeyError, ValueError) as problem:
            logger.error("Single sign-on provider %s left off: %s", key, problem)
    return found


def configuration_problems(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Django's system check (run by ``check``, ``migrate`` and the server's start): each provider whose
    settings are wrong, in words."""
    from django.core.checks import Error

    problems = []
    for key, raw in (settings.SSO_PROVIDERS or {}).items():
        try:
            _provider(key, raw)
        except KeyError as missing:
            problems.append(Error(f"Single sign-on provider {key}: SSO_{key.upper()}_{str(missing).strip(chr(39)).upper()} "
                                  "is required", id="safeguarding.E001"))
        except ValueError as problem:
            problems.append(Error(f"Single sign-on provider {key}: {problem}", id="safeguarding.E001"))
    return problems


def provider_or_none(key: str | None) -> Provider | None:
    return providers().get(key or "")


# --- the mapping from groups to agency and role (pure) ----------------------------------------------


def mapped_access(provider: Provider, claims: dict[str, Any]) -> tuple[str, str]:
    """The (agency code, role) the person's groups map to. Refused, with a reason they can act on,
    when none of their groups is mapped, or when their groups map to different agencies or roles
    (the hub will not guess which one the partnership meant)."""
    groups = claims.get(provider.groups_claim) or []
    if isinstance(groups, str):
        groups = [groups]
    targets = {provider.groups[g] for g in groups if g in provider.groups}
    if not targets:
        raise ServiceError(
            f"Your account at {provider.name} is not in any group that has access to the hub. "
            "Ask your agency's administrator to add you to the right group"
        )
    if len(targets) > 1:
        raise ServiceError(
            f"Your groups at {provider.name} give more than one role in the hub. "
            "Ask your agency's administrator to leave you in one group only"
        )
    return next(iter(targets))


def asserts_second_factor(provider: Provider, id_token_claims: dict[str, Any]) -> bool:
    amr = id_token_claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    return bool(provider.mfa_amr.intersection(str(a) for a in amr))


# --- the authentication backend ------------------------------------------------------------------


class SingleSignOnBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, for whichever provider the sign-in started with (kept in the
    session by the start view). Users are found and made by ``services.sso_sign_in``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # the provider is known only per request
        self.UserModel = get_user_model()
        self.provider: Provider | None = None

    def get_settings(self, attr: str, *args: Any) -> Any:
        provider = self.provider
        if provider is not None:
            per_provider = {
                "OIDC_RP_CLIENT_ID": provider.client_id,
                "OIDC_RP_CLIENT_SECRET": provider.client_secret,
                "OIDC_OP_TOKEN_ENDPOINT": provider.token_endpoint,
                "OIDC_OP_USER_ENDPOINT": provider.userinfo_endpoint,
                "OIDC_OP_JWKS_ENDPOINT": provider.jwks_endpoint,
                "OIDC_RP_SIGN_ALGO": provider.sign_algo,
                "OIDC_RP_SCOPES": provider.scopes,
                "OIDC_AUTHENTICATION_CALLBACK_URL": "accounts:sso-callback",
                "OIDC_TIMEOUT": 15,
                "OIDC_USE_PKCE": True,
            }
            if attr in per_provider:
                return per_provider[attr]
        return getattr(settings, attr, *args) if args else getattr(settings, attr)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if request is None or "code" not in request.GET or "state" not in request.GET:
            return None
        self.provider = provider_or_none(request.session.get(PROVIDER_SESSION_KEY))
        if self.provider is None:
            return None
        p = self.provider
        self.OIDC_OP_TOKEN_ENDPOINT = p.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = p.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = p.jwks_endpoint
        self.OIDC_RP_CLIENT_ID = p.client_id
        self.OIDC_RP_CLIENT_SECRET = p.client_secret
        self.OIDC_RP_SIGN_ALGO = p.sign_algo
        self.OIDC_RP_IDP_SIGN_KEY = None
        try:
            return super().authenticate(request, **kwargs)
        except SuspiciousOperation as refused:
            # A token the hub cannot trust (expired, not yet valid, for another client, from another issuer,
            # signed wrongly): refused on the hub's refusal page and recorded, not an error page.
            services.sso_refused_recorded(provider=p.key, subject="", why=str(refused)[:500])
            request.sso_refusal = ("The sign-in service's answer could not be accepted (it may have expired). "  # type: ignore[attr-defined]
                                   "Try again, or sign in with a hub username and password.")
            return None

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        """The library checks the signature, expiry and nonce; the hub also checks the token was
        issued to it, by the provider it trusts."""
        try:
            payload = super().verify_token(token, **kwargs)
        except jwt.InvalidTokenError as refused:  # the library turns only a bad signature into a refusal
            raise SuspiciousOperation(f"The ID token was refused: {refused}") from refused
        assert self.provider is not None
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.provider.client_id not in audiences:
            raise SuspiciousOperation("The ID token was issued to another client")
        if not self.provider.issuer or payload.get("iss") != self.provider.issuer:
            raise SuspiciousOperation("The ID token was issued by another provider")
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("sub"))

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        assert self.provider is not None
        provider = self.provider
        claims = {**self.get_userinfo(access_token, id_token, payload)}
        # Groups may come in the ID token (Entra ID) or from the userinfo endpoint.
        if provider.groups_claim not in claims and provider.groups_claim in payload:
            claims[provider.groups_claim] = payload[provider.groups_claim]
        subject = str(payload.get("sub") or "")
        if claims.get("sub") and str(claims["sub"]) != subject:
            raise SuspiciousOperation("The userinfo is about someone else")
        with_mfa = asserts_second_factor(provider, payload)
        try:
            agency_code, role = mapped_access(provider, claims)
            agency = Agency.objects.filter(code=agency_code, is_active=True).first()
            if agency is None:
                raise ServiceError(
                    f"The hub has no active agency {agency_code} for your group at {provider.name}. Ask your administrator"
                )
            user = services.sso_sign_in(
                provider=provider.key,
                provider_name=provider.name,
                subject=subject,
                username_hint=str(claims.get("preferred_username") or claims.get("email") or ""),
                role=role,
                agency=agency,
                first_name=str(claims.get("given_name") or ""),
                last_name=str(claims.get("family_name") or ""),
                email=str(claims.get("email") or ""),
                with_mfa=with_mfa,
            )
        except ServiceError as refusal:
            services.sso_refused_recorded(provider=provider.key, subject=subject, why=str(refusal))
            self.request.sso_refusal = str(refusal)
            return None
        self.request.sso_second_factor = with_mfa
        return user

    def get_user(self, user_id: int) -> Any:
        return self.UserModel.objects.filter(pk=user_id, is_active=True).first()
