"""Teams single sign-on for the tab: the Entra ID access token the page gets from
`authentication.getAuthToken()`, validated here, on the server.

- signature: RS256 by a key the OpenID metadata (ENTRA_OPENID_METADATA_URL) publishes,
  fetched and kept like the Bot Framework's keys (bot/auth.py's SigningKeys: aiohttp,
  timeouts, a miss remembered);
- audience: the app's exposed API `api://<PUBLIC_URL host>/<app id>`, or the app id;
- issuer: `https://login.microsoftonline.com/<tid>/v2.0` (v2 tokens) or
  `https://sts.windows.net/<tid>/` (v1), for the token's own `tid`;
- expiry (and not-before), with 5 minutes' leeway;
- tenant: `tid` among ALLOWED_TENANTS (else the app's tenant; neither set: any);
- `oid`, the person's Entra object id, is what maps to a Mentorbot user.
Any failure is an `AuthError` (401), with the reason logged, never shown.
"""

from __future__ import annotations

# i18n: this module says nothing to people
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.auth import AuthError, SigningKeys, bearer_token, decode_claims

GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class Identity:
    tenant_id: str
    object_id: str


def audiences(app_id: str, public_url: str) -> list[str]:
    host = urlsplit(public_url).netloc
    return [f"api://{host}/{app_id}", app_id] if host else [app_id]


class EntraTokens:
    def __init__(
        self, app_id: str, public_url: str, keys: SigningKeys, tenants: frozenset[str]
    ) -> None:
        self.audiences = audiences(app_id, public_url)
        self.keys, self.tenants = keys, tenants

    async def validate(self, auth_header: str) -> Identity:
        import jwt  # loads with the first token (bot/auth.py: start-up without it)

        token = bearer_token(auth_header)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthError("the token is not a JWT") from None
        if header.get("alg") != "RS256":
            raise AuthError("the token's algorithm is not RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > 200:
            raise AuthError("the token names no signing key")
        tid = unverified.get("tid")
        if not isinstance(tid, str) or not GUID.fullmatch(tid):
            raise AuthError("the token names no tenant")
        if self.tenants and tid.lower() not in self.tenants:
            raise AuthError("the token's tenant is not allowed")
        key = await self.keys.get(kid)
        if key is None:
            raise AuthError("the token's signing key is not published")
        claims = decode_claims(
            token, key.public_key, ["RS256"], self.audiences, ("exp", "iss", "aud", "tid", "oid")
        )
        if claims.get("iss") not in _issuers(tid):
            raise AuthError("the token's issuer is not its tenant's")
        oid = claims.get("oid")
        if not isinstance(oid, str) or not GUID.fullmatch(oid):
            raise AuthError("the token names no user (oid)")
        return Identity(tid.lower(), oid.lower())


def _issuers(tid: str) -> tuple[str, str]:
    return (f"https://login.microsoftonline.com/{tid}/v2.0", f"https://sts.windows.net/{tid}/")
