"""A software WebAuthn authenticator for tests: a real EC P-256 key (``cryptography``)
that answers registration and login challenges the way a browser and a security key do.

Registration gives an attestation object in the "none" format (authenticator data with
the RP ID hash, flags, counter and the credential's COSE public key) and clientDataJSON
with the challenge and origin; login gives authenticator data and an ECDSA signature over
authData || SHA-256(clientDataJSON). Each can be told to lie (wrong origin, counter) so
tests can show the server refuses it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_USER_PRESENT = 0x01
FLAG_ATTESTED_CREDENTIAL = 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def options_from_page(page_html: str, mode: str) -> dict:
    """The WebAuthn options the page gives its script (data-webauthn-options)."""
    match = re.search(rf'data-webauthn="{mode}" data-webauthn-options="([^"]+)"', page_html)
    assert match, f"the page offers no security key ({mode})"
    return json.loads(html.unescape(match.group(1)))


class SoftwareAuthenticator:
    def __init__(self, rp_id: str = "localhost", origin: str = "http://localhost"):
        self.rp_id = rp_id
        self.origin = origin
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0

    def _cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    def _auth_data(self, flags: int, sign_count: int, rp_id: str | None) -> bytes:
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", sign_count)

    def register(self, options: dict, *, origin: str | None = None) -> str:
        """The JSON the browser would send after navigator.credentials.create()."""
        assert options["rp"]["id"] == self.rp_id
        attested = (
            bytes(16)  # AAGUID: none
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose_public_key()
        )
        auth_data = (
            self._auth_data(FLAG_USER_PRESENT | FLAG_ATTESTED_CREDENTIAL, self.sign_count, None)
            + attested
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "authenticatorAttachment": "cross-platform",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "attestationObject": b64url(attestation),
                    "transports": ["usb", "nfc"],
                },
            }
        )

    def login(
        self,
        options: dict,
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        sign_count: int | None = None,
        challenge: str | None = None,
    ) -> str:
        """The JSON the browser would send after navigator.credentials.get(); the counter
        goes up by one unless ``sign_count`` says otherwise."""
        allowed = [item["id"] for item in options.get("allowCredentials", [])]
        assert b64url(self.credential_id) in allowed, "the server did not offer this key"
        self.sign_count = self.sign_count + 1 if sign_count is None else sign_count
        auth_data = self._auth_data(FLAG_USER_PRESENT, self.sign_count, rp_id)
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        signature = self.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "authenticatorAttachment": "cross-platform",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                },
            }
        )
