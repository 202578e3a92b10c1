"""A real OpenID Connect provider on the loopback interface, for the sign-in tests.

`oidc-provider-mock` (PyPI, test-only) served by werkzeug on a thread of the test
process: a discovery document, JWKS, RS256-signed ID tokens checked against the nonce
Streamlit sends, client registration (so a wrong client id or secret is refused), an
authorization form where the browser types who signs in, and an end-session endpoint.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Provider:
    issuer: str

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def register_client(self, redirect_uri: str) -> tuple[str, str]:
        """Register the app (RFC 7591): its client id and secret."""
        request = urllib.request.Request(
            f"{self.issuer}/oauth2/clients",
            data=json.dumps({"redirect_uris": [redirect_uri]}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as resp:
            client = json.load(resp)
        return str(client["client_id"]), str(client["client_secret"])


@contextmanager
def oidc_provider(users: list[tuple[str, str]]) -> Iterator[Provider]:
    """Serve the provider on 127.0.0.1:<free port>; `users` are (e-mail, name) pairs."""
    import oidc_provider_mock
    import werkzeug.serving

    app = oidc_provider_mock.app(
        require_nonce=True,
        require_client_registration=True,
        user_claims=[
            oidc_provider_mock.User(
                sub=email, claims={"email": email, "email_verified": True, "name": name}
            )
            for email, name in users
        ],
    )
    # The issuer comes from the request's Host: one spelling (the address) keeps `iss` stable.
    server = werkzeug.serving.make_server(LOOPBACK, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield Provider(issuer=f"http://{LOOPBACK}:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def write_secrets(path: Path, *, app_port: int, provider: Provider, roles: dict[str, str]) -> Path:
    """The app's secrets.toml: the standard [auth] section and [vsm.roles]. The browser must
    open the app at the redirect_uri's origin, http://localhost:PORT."""
    redirect_uri = f"http://localhost:{app_port}/oauth2callback"
    client_id, client_secret = provider.register_client(redirect_uri)
    lines = "\n".join(f'"{email}" = "{role}"' for email, role in roles.items())
    path.write_text(
        f"""[auth]
redirect_uri = "{redirect_uri}"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "{client_id}"
client_secret = "{client_secret}"
server_metadata_url = "{provider.metadata_url}"

[vsm.roles]
{lines}
""",
        encoding="utf-8",
    )
    return path


def sign_in(page, app_url: str, email: str) -> None:  # type: ignore[no-untyped-def]
    """From the app's sign-in page, through the provider's form, back to the app."""
    page.goto(app_url)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/oauth2/authorize"), timeout=30_000)
    page.get_by_placeholder("sub").fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(rf"^{re.escape(app_url)}/?$"), timeout=30_000)


def sign_out(page, app_url: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/oauth2/end_session"), timeout=30_000)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(re.compile(rf"^{re.escape(app_url)}/?$"), timeout=30_000)
