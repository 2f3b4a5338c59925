"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verifying against this when the account does not exist keeps the response time the same
# for an unknown e-mail address and a wrong password.
_DUMMY_HASH = _hasher.hash("casetrack-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; an absent or unusable hash (an account whose person
    has not chosen a password yet) still costs one verification, and never matches."""
    usable = bool(password_hash) and password_hash.startswith("$argon2")
    try:
        return _hasher.verify(password_hash if usable else _DUMMY_HASH, password) and usable
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
