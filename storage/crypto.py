"""Cryptographic building blocks for encryption at rest.

The design is in docs/architecture.md ("Encryption at rest") and docs/threat-model.md. This module
is pure: no database, no network, no logging. It never puts secrets (keys, case codes,
recovery keys, passwords) into exception messages or reprs, because both end up in logs.

Error convention, so callers need only one ``except``:

- ``CryptoError``: anything that goes wrong while sealing, opening, wrapping or unwrapping,
  including key bytes of the wrong shape and malformed blobs. The message never says *why* an
  authentication failed (wrong key, wrong aad and tampering look the same on purpose).
- ``ValueError``: text typed by a human (case codes, recovery keys) or bad parameters.
- ``ServerKeyError`` (a ``ValueError``): the server key file or text cannot be used.

Blob formats (every blob starts with one format byte so the format can evolve):

- sealed:      0x01 | ephemeral X25519 public key (32) | nonce (12) | AES-256-GCM ct + tag
- wrapped:     0x02 | nonce (12) | AES-256-GCM ct + tag
- server-key:  0x03 | nonce (12) | AES-256-GCM ct + tag

The format byte (and for sealed blobs the ephemeral key) is authenticated together with the
caller's associated data, so a blob cannot be reinterpreted under another format.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import hmac
import os
import re
import secrets
import stat
import struct
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "CryptoError",
    "KdfParams",
    "KeyPair",
    "ServerKey",
    "ServerKeyError",
    "aad_for",
    "derive_key",
    "generate_keypair",
    "hash_password",
    "new_case_code",
    "new_recovery_key",
    "new_salt",
    "normalize_case_code",
    "open_sealed",
    "password_needs_rehash",
    "public_key_of",
    "recovery_key_bytes",
    "seal",
    "session_key",
    "unwrap",
    "verify_password",
    "wrap",
]

KEY_SIZE: Final = 32
NONCE_SIZE: Final = 12
TAG_SIZE: Final = 16
SALT_SIZE: Final = 16

_SEALED_V1: Final = b"\x01"
_WRAPPED_V1: Final = b"\x02"
_SERVER_V1: Final = b"\x03"

# Context strings are part of the stored-data format: changing one makes every existing
# blob unreadable, so a change needs a new format byte, never an edit in place.
_SEAL_INFO: Final = b"anlaufstelle/seal/v1"
_SESSION_INFO: Final = b"anlaufstelle/session-token/v1"
_SETUP_INFO: Final = b"anlaufstelle/counsellor-setup-token/v1"
_SERVER_INFO: Final = b"anlaufstelle/server-key/v1"

_SEALED_HEADER: Final = 1 + KEY_SIZE
_SEALED_MIN: Final = _SEALED_HEADER + NONCE_SIZE + TAG_SIZE
_WRAPPED_MIN: Final = 1 + NONCE_SIZE + TAG_SIZE


class CryptoError(Exception):
    """Sealing, opening, wrapping or unwrapping failed, or a key or blob is malformed."""


class ServerKeyError(ValueError):
    """The server key file or text is missing, malformed or unsafe to use."""


def _hkdf(ikm: bytes, *, salt: bytes | None, info: bytes, length: int = KEY_SIZE) -> bytes:
    return HKDF(algorithm=SHA256(), length=length, salt=salt, info=info).derive(ikm)


def _require_key(key: bytes, what: str) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        raise CryptoError(f"{what} must be {KEY_SIZE} bytes")


# --- associated data -------------------------------------------------------------------------


def aad_for(*parts: str | int) -> bytes:
    """Encode associated data unambiguously: each part is a type tag, a 4-byte length, bytes.

    The type tag keeps ``1`` and ``"1"`` apart; the length keeps ``("a", "bc")`` and
    ``("ab", "c")`` apart. The encoding is part of the stored-data format (the aad is
    recomputed when reading, never stored), so it must not change.
    """
    if not parts:
        raise ValueError("aad_for needs at least one part; an empty aad binds nothing")
    out = []
    for part in parts:
        # Exact types first: several dozen calls per message (every MAC, every blob).
        kind = type(part)
        if kind is str:
            data = part.encode("utf-8")  # type: ignore[union-attr]  # it is a str
            out.append(b"s" + _LENGTH(len(data)) + data)
        elif kind is int:
            data = b"%d" % part  # type: ignore[str-format]  # it is an int
            out.append(b"i" + _LENGTH(len(data)) + data)
        # bool is an int subclass; True and 1 would otherwise encode the same way.
        elif isinstance(part, bool):
            raise TypeError("aad_for takes str or int parts, not bool")
        elif isinstance(part, int):
            data = str(part).encode("ascii")
            out.append(b"i" + _LENGTH(len(data)) + data)
        elif isinstance(part, str):
            data = part.encode("utf-8")
            out.append(b"s" + _LENGTH(len(data)) + data)
        else:
            raise TypeError(f"aad_for takes str or int parts, not {type(part).__name__}")
    return b"".join(out)


_LENGTH: Final = struct.Struct(">I").pack


def _keyed(key: bytes) -> hmac.HMAC:
    """HMAC-SHA256 with `key` set up once: copied per use (`_hmac`), it skips the key
    set-up that `hmac.digest` repeats per call (a row MAC or a pseudonym is made several
    times per message)."""
    return hmac.new(key, digestmod="sha256")


def _hmac(keyed: hmac.HMAC, data: bytes) -> bytes:
    mac = keyed.copy()
    mac.update(data)
    return mac.digest()


# --- key pairs and write-only sealing --------------------------------------------------------


@dataclass(frozen=True, repr=False)
class KeyPair:
    """A raw X25519 key pair (32 bytes each)."""

    private: bytes
    public: bytes

    def __post_init__(self) -> None:
        _require_key(self.private, "private key")
        _require_key(self.public, "public key")
        if not hmac.compare_digest(public_key_of(self.private), self.public):
            raise CryptoError("public key does not belong to the private key")

    def __repr__(self) -> str:
        # The public key is not secret, but a short prefix is all a log reader needs.
        return f"KeyPair(public={self.public[:4].hex()}…)"


def generate_keypair() -> KeyPair:
    private = X25519PrivateKey.generate()
    return KeyPair(
        private=private.private_bytes_raw(), public=private.public_key().public_bytes_raw()
    )


def recovery_keypair(secret: bytes) -> KeyPair:
    """The X25519 key pair a team recovery key stands for.

    Its public half is stored with the team, so the server can wrap a new team key for the
    recovery key (a rotation after a counsellor leaves) without ever holding the recovery key.
    """
    _require_key(secret, "recovery key")
    private = _hkdf(secret, salt=None, info=b"anlaufstelle/recovery-x25519/v1")
    return KeyPair(private=private, public=public_key_of(private))


def public_key_of(private: bytes) -> bytes:
    _require_key(private, "private key")
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def seal(public_key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt ``plaintext`` so that only the holder of the matching private key can read it.

    Sealing needs no secret, which is what lets the server keep writing to a case it can no
    longer read. A fresh ephemeral key per call makes every blob independent.
    """
    _require_key(public_key, "public key")
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    try:
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public_key))
    except ValueError:
        # Low-order points give an all-zero shared secret; the library refuses them.
        raise CryptoError("public key is not a usable X25519 key") from None
    key = _hkdf(shared, salt=ephemeral_public + public_key, info=_SEAL_INFO)
    header = _SEALED_V1 + ephemeral_public
    nonce = secrets.token_bytes(NONCE_SIZE)
    return header + nonce + AESGCM(key).encrypt(nonce, plaintext, header + aad)


def open_sealed(private_key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Decrypt a blob made by :func:`seal`; raise :class:`CryptoError` on any failure."""
    _require_key(private_key, "private key")
    if len(blob) < _SEALED_MIN:
        raise CryptoError("sealed blob is truncated")
    if blob[:1] != _SEALED_V1:
        raise CryptoError("not a sealed blob of a known format")
    header = blob[:_SEALED_HEADER]
    ephemeral_public = header[1:]
    nonce = blob[_SEALED_HEADER : _SEALED_HEADER + NONCE_SIZE]
    ciphertext = blob[_SEALED_HEADER + NONCE_SIZE :]
    private = X25519PrivateKey.from_private_bytes(private_key)
    recipient_public = private.public_key().public_bytes_raw()
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    except ValueError:
        raise CryptoError("sealed blob has an invalid ephemeral key") from None
    key = _hkdf(shared, salt=ephemeral_public + recipient_public, info=_SEAL_INFO)
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, header + aad)
    except InvalidTag:
        raise CryptoError("sealed blob failed authentication") from None


# --- symmetric wrapping ----------------------------------------------------------------------


def _aead_encrypt(fmt: bytes, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    _require_key(key, "wrapping key")
    return _encrypt_with(fmt, AESGCM(key), plaintext, aad)


def _encrypt_with(fmt: bytes, aead: AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_SIZE)
    return fmt + nonce + aead.encrypt(nonce, plaintext, fmt + aad)


def _aead_decrypt(fmt: bytes, key: bytes, blob: bytes, aad: bytes) -> bytes:
    _require_key(key, "wrapping key")
    return _decrypt_with(fmt, AESGCM(key), blob, aad)


def _decrypt_with(fmt: bytes, aead: AESGCM, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < _WRAPPED_MIN:
        raise CryptoError("encrypted blob is truncated")
    if blob[:1] != fmt:
        raise CryptoError("encrypted blob has an unexpected format")
    nonce, ciphertext = blob[1 : 1 + NONCE_SIZE], blob[1 + NONCE_SIZE :]
    try:
        return aead.decrypt(nonce, ciphertext, fmt + aad)
    except InvalidTag:
        raise CryptoError("encrypted blob failed authentication") from None


def wrap(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM under a 32-byte key with a random nonce.

    Random 96-bit nonces are safe far beyond the number of wraps one key will ever see
    (one per case, counsellor or session), so no nonce counter has to be stored.
    """
    return _aead_encrypt(_WRAPPED_V1, key, plaintext, aad)


def unwrap(key: bytes, blob: bytes, aad: bytes) -> bytes:
    return _aead_decrypt(_WRAPPED_V1, key, blob, aad)


# --- the server key --------------------------------------------------------------------------

_NAME = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")
# Both base64 alphabets: url-safe is what we write; standard ("+", "/") is what
# `openssl rand -base64 32` writes, the documented way to make a key for Docker secrets.
_B64_TEXT = re.compile(r"[A-Za-z0-9_+/-]+={0,2}")
_TO_URLSAFE = str.maketrans("+/", "-_")
_MAX_KEY_FILE = 1024


def _check_name(what: str, name: str) -> None:
    if not _NAME.fullmatch(name):
        raise ValueError(f"{what} must match {_NAME.pattern}")


class ServerKey:
    """The server's 32-byte secret, kept outside the database (file or environment).

    Everything the server must read back itself (bot-phase state, channel addresses, outbox
    rows) is encrypted under subkeys of it, one per purpose, so a blob written for one
    purpose cannot be passed off as another. Lookup pseudonyms use a separate HMAC pepper.
    """

    __slots__ = ("__key", "_ciphers", "_macs", "_pepper", "_subkeys")

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != KEY_SIZE:
            raise ServerKeyError(
                f"a server key must be exactly {KEY_SIZE} bytes"
                + (f", got {len(key)}" if isinstance(key, bytes) else "")
            )
        self.__key = key
        self._subkeys: dict[bytes, bytes] = {}
        # Per purpose, made at its first use (several times per message otherwise): the
        # cipher of its encryption subkey, the MAC subkey; the pseudonym kinds seen.
        self._ciphers: dict[str, AESGCM] = {}
        self._macs: dict[str, hmac.HMAC] = {}
        self._pepper: dict[str, hmac.HMAC] = {}

    @classmethod
    def generate(cls) -> ServerKey:
        return cls(secrets.token_bytes(KEY_SIZE))

    @classmethod
    def from_bytes(cls, key: bytes) -> ServerKey:
        return cls(key)

    @classmethod
    def from_text(cls, text: str) -> ServerKey:
        """Parse the base64 form (as in the key file): url-safe as `to_text` writes it, or
        standard base64 as `openssl rand -base64 32` writes it."""
        text = text.strip()
        if not text:
            raise ServerKeyError("the server key is empty")
        if not _B64_TEXT.fullmatch(text):
            raise ServerKeyError(
                "the server key is not base64 (only A-Z, a-z, 0-9, '+', '/', '-', '_', '='); "
                "make one with `openssl rand -base64 32`"
            )
        text = text.translate(_TO_URLSAFE)
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise ServerKeyError("the server key is not valid url-safe base64") from None
        if len(raw) != KEY_SIZE:
            raise ServerKeyError(
                f"the server key decodes to {len(raw)} bytes, expected {KEY_SIZE}; "
                "generate a new one with `anlaufstelle init` only if the database is new"
            )
        return cls(raw)

    def to_text(self) -> str:
        """The url-safe base64 form; a secret: write it to a 0600 file or a secret store."""
        return base64.urlsafe_b64encode(self.__key).decode("ascii")

    @classmethod
    def load(cls, path: Path) -> ServerKey:
        """Read the key file, refusing files that others could read or replace."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise ServerKeyError(
                f"server key file {path} does not exist; create it with `anlaufstelle init` "
                "or point the settings at the existing key file"
            ) from None
        except PermissionError:
            raise ServerKeyError(
                f"server key file {path} cannot be read by this user; it must be owned by "
                "the service user with mode 600"
            ) from None
        except OSError as exc:
            raise ServerKeyError(
                f"server key file {path} cannot be opened: {exc.strerror}"
            ) from None
        try:
            # fstat on the open descriptor, so the file checked is the file read.
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise ServerKeyError(f"server key file {path} is not a regular file")
            mode = stat.S_IMODE(st.st_mode)
            if os.name == "posix" and mode & 0o077:
                raise ServerKeyError(
                    f"server key file {path} has mode {mode:04o}, so other users can read or "
                    f"replace it; restrict it to its owner: chmod 600 {path}"
                )
            data = os.read(fd, _MAX_KEY_FILE + 1)
        finally:
            os.close(fd)
        if len(data) > _MAX_KEY_FILE:
            raise ServerKeyError(f"server key file {path} is too large to be a key file")
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise ServerKeyError(
                f"server key file {path} is not text; it must hold the key as url-safe base64"
            ) from None
        try:
            return cls.from_text(text)
        except ServerKeyError as exc:
            raise ServerKeyError(f"server key file {path}: {exc}") from None

    def save(self, path: Path) -> None:
        """Create ``path`` with mode 0600 holding the key; never overwrite an existing file.

        The key is written to a temporary file and hard-linked into place, so the final name
        appears only with complete contents, and linking fails if the name already exists.
        """
        if path.exists() or path.is_symlink():
            raise ServerKeyError(
                f"server key file {path} already exists; refusing to overwrite it "
                "(a database made with the old key would become unreadable)"
            )
        if not path.parent.is_dir():
            raise ServerKeyError(f"directory {path.parent} for the server key does not exist")
        content = (self.to_text() + "\n").encode("ascii")
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        _write_new_file(tmp, content)
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise ServerKeyError(
                f"server key file {path} already exists; refusing to overwrite it"
            ) from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            # Filesystems without hard links: exclusive create is still race-free, only a
            # crash mid-write could leave a short file (which load() then rejects).
            try:
                _write_new_file(path, content)
            except FileExistsError:
                raise ServerKeyError(
                    f"server key file {path} already exists; refusing to overwrite it"
                ) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        _fsync_dir(path.parent)

    def _subkey(self, label: bytes) -> bytes:
        key = self._subkeys.get(label)
        if key is None:
            key = _hkdf(self.__key, salt=None, info=_SERVER_INFO + label)
            self._subkeys[label] = key
        return key

    def _cipher(self, purpose: str) -> AESGCM:
        cipher = self._ciphers.get(purpose)
        if cipher is None:
            _check_name("purpose", purpose)
            cipher = self._ciphers[purpose] = AESGCM(self._subkey(aad_for("encrypt", purpose)))
        return cipher

    def encrypt(self, purpose: str, plaintext: bytes, aad: bytes) -> bytes:
        """Encrypt for the server itself under the subkey of ``purpose`` (e.g. "state")."""
        return _encrypt_with(_SERVER_V1, self._cipher(purpose), plaintext, aad)

    def decrypt(self, purpose: str, blob: bytes, aad: bytes) -> bytes:
        return _decrypt_with(_SERVER_V1, self._cipher(purpose), blob, aad)

    def mac(self, purpose: str, data: bytes) -> bytes:
        """A MAC under the subkey of ``purpose``: proves a row was written by this service
        (someone who can write to the database but lacks the server key cannot make one)."""
        keyed = self._macs.get(purpose)
        if keyed is None:
            _check_name("purpose", purpose)
            keyed = self._macs[purpose] = _keyed(self._subkey(aad_for("mac", purpose)))
        return _hmac(keyed, data)

    def pseudonym(self, kind: str, value: str) -> str:
        """A stable keyed hash of ``value`` for lookups (contact ids, case codes).

        Without the server key a stolen database cannot be matched against a list of known
        Telegram ids; ``kind`` is bound in so equal values of two kinds do not link up.
        Callers normalise ``value`` first (e.g. :func:`normalize_case_code`).
        """
        pepper = self._pepper.get(kind)
        if pepper is None:
            _check_name("kind", kind)
            pepper = self._pepper[kind] = _keyed(self._subkey(aad_for("pseudonym-pepper")))
        return _hmac(pepper, aad_for(kind, value)).hex()

    def fingerprint(self) -> str:
        """16 hex digits identifying the key, safe to store and log (a one-way derivation)."""
        return self._subkey(aad_for("fingerprint"))[:8].hex()

    def __repr__(self) -> str:
        return f"ServerKey(fingerprint={self.fingerprint()})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerKey):
            return NotImplemented
        return hmac.compare_digest(self.__key, other.__key)

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def __reduce__(self) -> str | tuple[object, ...]:
        # Pickling would copy the secret into caches or task queues; nothing needs it.
        raise TypeError("ServerKey cannot be pickled")


def _write_new_file(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        # The umask can only clear bits, but be explicit: this file must be exactly 0600.
        os.fchmod(fd, 0o600)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    # Makes the new directory entry durable; not every platform can open a directory.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- keys from passwords, case codes and session tokens --------------------------------------

_MAX_MEMORY_KIB: Final = 4 * 1024 * 1024
_MAX_TIME_COST: Final = 100
_MAX_PARALLELISM: Final = 64


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters, stored beside each wrap so they can be raised later."""

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 1

    def __post_init__(self) -> None:
        # Params are read back from the database; bounds stop a corrupt row from asking
        # for terabytes of memory or a zero-cost derivation.
        for name, value, low, high in (
            ("time_cost", self.time_cost, 1, _MAX_TIME_COST),
            ("memory_cost_kib", self.memory_cost_kib, 8 * self.parallelism, _MAX_MEMORY_KIB),
            ("parallelism", self.parallelism, 1, _MAX_PARALLELISM),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"KdfParams.{name} must be an int")
            if not low <= value <= high:
                raise ValueError(f"KdfParams.{name} must be between {low} and {high}")

    @classmethod
    def fast(cls) -> KdfParams:
        """Minimal cost, for tests only: never use it for real secrets."""
        return cls(time_cost=1, memory_cost_kib=8, parallelism=1)

    def weaker_than(self, other: KdfParams) -> bool:
        """Whether a derivation with these costs is cheaper to guess than with `other`."""
        return self.memory_cost_kib < other.memory_cost_kib or self.time_cost < other.time_cost

    def floor(self) -> KdfParams:
        """The weakest wrap these configured costs accept on read: `PRODUCTION_FLOOR`, or the
        configured costs where they are lower still (a test install). A wrap below it was not
        made by this installation (or by one configured far too weakly) and opens nothing: it
        would let a guesser test case codes or passwords quickly."""
        return KdfParams(
            time_cost=min(self.time_cost, PRODUCTION_FLOOR.time_cost),
            memory_cost_kib=min(self.memory_cost_kib, PRODUCTION_FLOOR.memory_cost_kib),
            parallelism=1,
        )

    def to_dict(self) -> dict[str, str | int]:
        return {
            "algorithm": "argon2id",
            "version": 19,
            "time_cost": self.time_cost,
            "memory_cost_kib": self.memory_cost_kib,
            "parallelism": self.parallelism,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> KdfParams:
        expected = {"algorithm", "version", "time_cost", "memory_cost_kib", "parallelism"}
        if set(data) != expected:
            raise ValueError(f"KDF parameters must have exactly the keys {sorted(expected)}")
        if data["algorithm"] != "argon2id" or data["version"] != 19:
            raise ValueError("only Argon2id version 19 KDF parameters are supported")
        fields: dict[str, int] = {}
        for name in ("time_cost", "memory_cost_kib", "parallelism"):
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"KDF parameter {name} must be an int")
            fields[name] = value
        return cls(**fields)


PRODUCTION_FLOOR: Final = KdfParams(time_cost=2, memory_cost_kib=19456, parallelism=1)
"""OWASP's minimum for Argon2id (19 MiB, two passes); `doctor` warns below it."""


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_SIZE)


def _normalize_secret(secret: str) -> bytes:
    # NFKC so the same password typed on two devices (composed vs decomposed umlauts,
    # full-width digits) gives the same bytes.
    return unicodedata.normalize("NFKC", secret).encode("utf-8")


def derive_key(secret: str, salt: bytes, params: KdfParams) -> bytes:
    """A 32-byte wrapping key from a password or case code (Argon2id)."""
    if not secret:
        raise ValueError("cannot derive a key from an empty secret")
    if len(salt) < SALT_SIZE:
        raise ValueError(f"salt must be at least {SALT_SIZE} bytes")
    return hash_secret_raw(
        secret=_normalize_secret(secret),
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_cost_kib,
        parallelism=params.parallelism,
        hash_len=KEY_SIZE,
        type=Type.ID,
        version=19,
    )


def session_key(token: bytes) -> bytes:
    """A 32-byte wrapping key from a browser session token.

    The token is random (not chosen by a person), so a slow KDF would add cost without
    adding security; HKDF only separates this use of the token from any other.
    """
    if len(token) < 16:
        raise ValueError("a session token must have at least 128 bits (16 bytes)")
    return _hkdf(token, salt=None, info=_SESSION_INFO)


def setup_key(token: bytes) -> bytes:
    """A 32-byte wrapping key from a counsellor's setup token (random, like a session token)
    under its own HKDF info, so one kind of token can never stand in for the other."""
    if len(token) < 16:
        raise ValueError("a setup token must have at least 128 bits (16 bytes)")
    return _hkdf(token, salt=None, info=_SETUP_INFO)


# --- human-readable codes --------------------------------------------------------------------

CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_INDEX: Final = {c: i for i, c in enumerate(CROCKFORD)}
_LOOKALIKES: Final = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Separators people type or phones autocorrect to: spaces, hyphens, en/em dashes, minus.
_SEPARATORS: Final = re.compile(r"[\s\-\u2010-\u2015\u2212]+")

CASE_CODE_LENGTH: Final = 12
_CASE_CODE_GROUP: Final = 4


def _canonical_symbols(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).upper()
    return _SEPARATORS.sub("", text).translate(_LOOKALIKES)


def _group(symbols: str, size: int) -> str:
    return "-".join(symbols[i : i + size] for i in range(0, len(symbols), size))


def new_case_code() -> str:
    """A code like "K7QF-3MZP-9TXA": 12 Crockford base32 symbols, 60 bits from ``secrets``."""
    symbols = "".join(secrets.choice(CROCKFORD) for _ in range(CASE_CODE_LENGTH))
    return _group(symbols, _CASE_CODE_GROUP)


def normalize_case_code(text: str) -> str:
    """The canonical dashed form of a case code as a person typed it.

    Error messages never repeat the input: it is a secret and messages reach logs.
    """
    symbols = _canonical_symbols(text)
    if len(symbols) != CASE_CODE_LENGTH:
        raise ValueError(
            f"a case code has {CASE_CODE_LENGTH} characters (letters and digits), "
            f"this has {len(symbols)}"
        )
    if any(c not in _CROCKFORD_INDEX for c in symbols):
        raise ValueError("a case code has only the digits 0-9 and letters A-Z except I, L, O, U")
    return _group(symbols, _CASE_CODE_GROUP)


# Recovery key: 256 bits as 52 symbols (the last 4 bits are zero padding), then a 6-symbol
# check group. The check is the bech32m BCH code (BIP 350) over the symbol values: it is
# guaranteed to detect any error in up to 4 symbols, so a typo is caught before an unwrap.
_RECOVERY_DATA: Final = 52
_RECOVERY_CHECK: Final = 6
RECOVERY_KEY_LENGTH: Final = _RECOVERY_DATA + _RECOVERY_CHECK
_BECH32M_CONST: Final = 0x2BC830A3
_BECH32_GEN: Final = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
# Domain separation: a bech32m string of another application never checks out as ours.
_RECOVERY_PREFIX: Final = tuple(ord(c) & 31 for c in "anlaufstelle-recovery-v1")


def _polymod(values: tuple[int, ...] | list[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ value
        for i, gen in enumerate(_BECH32_GEN):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def _recovery_check(data: list[int]) -> list[int]:
    mod = _polymod([*_RECOVERY_PREFIX, *data, *([0] * _RECOVERY_CHECK)]) ^ _BECH32M_CONST
    return [(mod >> (5 * (_RECOVERY_CHECK - 1 - i))) & 31 for i in range(_RECOVERY_CHECK)]


def new_recovery_key() -> str:
    """256 random bits as 13 groups of 4 symbols plus a check group of 6, for paper."""
    return _recovery_key_text(secrets.token_bytes(KEY_SIZE))


def _recovery_key_text(key: bytes) -> str:
    number = int.from_bytes(key, "big") << 4
    data = [(number >> (5 * (_RECOVERY_DATA - 1 - i))) & 31 for i in range(_RECOVERY_DATA)]
    symbols = "".join(CROCKFORD[v] for v in data)
    check = "".join(CROCKFORD[v] for v in _recovery_check(data))
    return f"{_group(symbols, 4)}-{check}"


def recovery_key_bytes(text: str) -> bytes:
    """The 32 key bytes of a typed recovery key; ValueError if it has a typo.

    Error messages never repeat the input: it is a secret and messages reach logs.
    """
    symbols = _canonical_symbols(text)
    if len(symbols) != RECOVERY_KEY_LENGTH:
        raise ValueError(
            f"a recovery key has {RECOVERY_KEY_LENGTH} characters (without dashes), "
            f"this has {len(symbols)}"
        )
    if any(c not in _CROCKFORD_INDEX for c in symbols):
        raise ValueError("a recovery key has only the digits 0-9 and letters A-Z except I, L, O, U")
    values = [_CROCKFORD_INDEX[c] for c in symbols]
    if _polymod([*_RECOVERY_PREFIX, *values]) != _BECH32M_CONST:
        raise ValueError("the recovery key has a typo: its check group does not match")
    number = 0
    for value in values[:_RECOVERY_DATA]:
        number = (number << 5) | value
    if number & 0xF:
        raise ValueError("the recovery key is not valid (padding bits are set)")
    return (number >> 4).to_bytes(KEY_SIZE, "big")


# --- login passwords -------------------------------------------------------------------------

# argon2-cffi's defaults follow RFC 9106 (Argon2id, t=3, 64 MiB, p=4); upgrading the library
# can raise them, and password_needs_rehash() then tells the login to rehash.
_password_hasher: Final = PasswordHasher()


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("password must not be empty")
    return _password_hasher.hash(_normalize_secret(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True if ``password`` matches; False if not; CryptoError if the stored hash is corrupt."""
    try:
        return _password_hasher.verify(password_hash, _normalize_secret(password))
    except VerifyMismatchError:
        return False
    except InvalidHashError:
        raise CryptoError("stored password hash is malformed") from None
    except VerificationError:
        return False


def password_needs_rehash(password_hash: str) -> bool:
    try:
        return _password_hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        raise CryptoError("stored password hash is malformed") from None
