"""Authenticated encryption of a byte stream of any length (backups, K3-82–85).

AES-256-GCM in chunks (the STREAM construction): every chunk has its own nonce made of a
random per-file prefix, the chunk counter and a "last chunk" flag, and the file header is
authenticated with every chunk. Reordering, dropping, truncating or appending chunks, or
using the wrong key, fails with :class:`DecryptionError` before any plaintext is trusted.

File layout: ``MAGIC`` · key id (8 bytes) · nonce prefix (7 bytes), then chunks of
``length (4 bytes, big-endian) · ciphertext``. The key id is the first 8 bytes of the
key's SHA-256, so a wrong key is reported as such without revealing anything of the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"CASETRACK-BACKUP-1\n"
CHUNK_SIZE = 1024 * 1024
_TAG = 16
_PREFIX = 7


class DecryptionError(ValueError):
    """The stream is not a casetrack backup, was made with another key, or was altered."""


def parse_key(text: str | None, variable: str) -> bytes:
    """The 32-byte key from its url-safe base64 text; ValueError (Swedish) if unusable."""
    if not text:
        raise ValueError(
            f"{variable} är inte satt. Skapa en nyckel med "
            '`python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32))'
            '.decode())"` och förvara den i er hemlighetshantering, skild från säkerhetskopian.'
        )
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError) as error:
        raise ValueError(f"{variable} är inte giltig base64.") from error
    if len(key) != 32:
        raise ValueError(f"{variable} ska vara 32 slumpmässiga byte (base64), inte {len(key)}.")
    return key


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:8]


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


class EncryptingWriter(io.RawIOBase):
    """A write-only file object that encrypts everything written to ``target``.

    ``close()`` writes the final chunk; without it the stream does not decrypt."""

    def __init__(self, target: BinaryIO, key: bytes):
        super().__init__()
        self._target = target
        self._aead = AESGCM(key)
        self._prefix = os.urandom(_PREFIX)
        self._header = MAGIC + key_id(key) + self._prefix
        self._buffer = bytearray()
        self._counter = 0
        target.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._buffer.extend(data)
        while len(self._buffer) > CHUNK_SIZE:
            self._emit(bytes(self._buffer[:CHUNK_SIZE]), last=False)
            del self._buffer[:CHUNK_SIZE]
        return len(data)

    def _emit(self, chunk: bytes, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._counter, last), chunk, self._header)
        self._target.write(struct.pack(">I", len(sealed)) + sealed)
        self._counter += 1

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()


class DecryptingReader(io.RawIOBase):
    """A read-only file object with the plaintext of an :class:`EncryptingWriter` stream."""

    def __init__(self, source: BinaryIO, key: bytes):
        super().__init__()
        self._source = source
        self._aead = AESGCM(key)
        self._header = source.read(len(MAGIC) + 8 + _PREFIX)
        if not self._header.startswith(MAGIC) or len(self._header) != len(MAGIC) + 8 + _PREFIX:
            raise DecryptionError("Filen är inte en säkerhetskopia från casetrack.")
        if self._header[len(MAGIC) : len(MAGIC) + 8] != key_id(key):
            raise DecryptionError("Säkerhetskopian är krypterad med en annan nyckel.")
        self._prefix = self._header[-_PREFIX:]
        self._counter = 0
        self._plain = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        length_bytes = self._source.read(4)
        if len(length_bytes) != 4:
            raise DecryptionError("Säkerhetskopian är avkortad.")
        (length,) = struct.unpack(">I", length_bytes)
        if length < _TAG or length > CHUNK_SIZE + _TAG:
            raise DecryptionError("Säkerhetskopian är skadad.")
        sealed = self._source.read(length)
        if len(sealed) != length:
            raise DecryptionError("Säkerhetskopian är avkortad.")
        for last in (False, True):
            try:
                nonce = _nonce(self._prefix, self._counter, last)
                self._plain = self._aead.decrypt(nonce, sealed, self._header)
            except InvalidTag:  # not this flag (or altered): try the other one
                continue
            self._counter += 1
            if last:
                self._done = True
                if self._source.read(1):
                    raise DecryptionError("Säkerhetskopian har data efter sista blocket.")
            return
        raise DecryptionError("Säkerhetskopian är skadad eller ändrad.")

    def readinto(self, buffer) -> int:
        while not self._plain and not self._done:
            self._next_chunk()
        count = min(len(buffer), len(self._plain))
        buffer[:count] = self._plain[:count]
        self._plain = self._plain[count:]
        return count
