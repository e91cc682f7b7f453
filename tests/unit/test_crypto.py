"""Tests for storage.crypto: every property the threat model relies on, stated so it can fail."""

from __future__ import annotations

import base64
import os
import re
import stat
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from storage.crypto import (
    CROCKFORD,
    CryptoError,
    KdfParams,
    KeyPair,
    ServerKey,
    ServerKeyError,
    aad_for,
    derive_key,
    generate_keypair,
    hash_password,
    new_case_code,
    new_recovery_key,
    new_salt,
    normalize_case_code,
    open_sealed,
    password_needs_rehash,
    public_key_of,
    recovery_key_bytes,
    recovery_keypair,
    seal,
    session_key,
    unwrap,
    verify_password,
    wrap,
)

CASE = "3f1c9e0a-case"
FAST = KdfParams.fast()


def flip(blob: bytes, index: int) -> bytes:
    return blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1 :]


# --- associated data -------------------------------------------------------------------------


def test_aad_for_is_unambiguous() -> None:
    assert aad_for("a", "bc") != aad_for("ab", "c")
    assert aad_for("1") != aad_for(1)
    assert aad_for(CASE, 12) != aad_for(CASE, 1, 2)
    assert aad_for(CASE, 1) == aad_for(CASE, 1)


def test_aad_for_keeps_its_stored_encoding() -> None:
    """The associated data of every stored blob is recomputed when it is read: a changed
    encoding would make the whole database unreadable."""
    assert aad_for("message", 12, "ä", -3) == (
        b"s\x00\x00\x00\x07messagei\x00\x00\x00\x0212s\x00\x00\x00\x02\xc3\xa4i\x00\x00\x00\x02-3"
    )

    class Code(str):
        pass

    class Count(int):
        pass

    assert aad_for(Code("x"), Count(5)) == aad_for("x", 5)
    with pytest.raises(TypeError):
        aad_for(b"bytes")  # type: ignore[arg-type]


def test_aad_for_rejects_empty_and_bool() -> None:
    with pytest.raises(ValueError, match="at least one"):
        aad_for()
    with pytest.raises(TypeError):
        aad_for(True)


# --- sealing ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def case_keys() -> KeyPair:
    return generate_keypair()


def test_keypair_shape(case_keys: KeyPair) -> None:
    assert len(case_keys.private) == 32
    assert len(case_keys.public) == 32
    assert public_key_of(case_keys.private) == case_keys.public


def test_keypair_rejects_mismatched_halves(case_keys: KeyPair) -> None:
    with pytest.raises(CryptoError):
        KeyPair(private=case_keys.private, public=generate_keypair().public)


def test_seal_open_round_trip(case_keys: KeyPair) -> None:
    aad = aad_for(CASE, 7)
    message = "Die Wohnung bekam ich nicht, weil ich Ümit heiße.".encode()
    blob = seal(case_keys.public, message, aad)
    assert blob[0] == 0x01
    assert len(blob) == 1 + 32 + 12 + len(message) + 16
    assert open_sealed(case_keys.private, blob, aad) == message


def test_seal_empty_plaintext(case_keys: KeyPair) -> None:
    aad = aad_for(CASE, 0)
    assert open_sealed(case_keys.private, seal(case_keys.public, b"", aad), aad) == b""


def test_seal_is_not_deterministic(case_keys: KeyPair) -> None:
    aad = aad_for(CASE, 1)
    a = seal(case_keys.public, b"same", aad)
    b = seal(case_keys.public, b"same", aad)
    assert a != b
    assert a[1:33] != b[1:33]  # fresh ephemeral key every time
    assert a[33:45] != b[33:45]  # and a random nonce, as the format promises


def test_sealed_blob_does_not_contain_plaintext(case_keys: KeyPair) -> None:
    canary = b"CANARY-7f3a-plaintext"
    assert canary not in seal(case_keys.public, canary, aad_for(CASE, 1))


@pytest.mark.parametrize(
    "index",
    [
        pytest.param(0, id="format-byte"),
        pytest.param(5, id="ephemeral-key"),
        pytest.param(33, id="nonce"),
        pytest.param(50, id="ciphertext"),
        pytest.param(-1, id="tag"),
    ],
)
def test_tampered_sealed_blob_is_rejected(case_keys: KeyPair, index: int) -> None:
    aad = aad_for(CASE, 3)
    blob = seal(case_keys.public, b"a message long enough to tamper with", aad)
    with pytest.raises(CryptoError):
        open_sealed(case_keys.private, flip(blob, index % len(blob)), aad)


def test_sealed_blob_with_substituted_ephemeral_key_is_rejected(case_keys: KeyPair) -> None:
    aad = aad_for(CASE, 3)
    blob = seal(case_keys.public, b"hello", aad)
    other = generate_keypair().public
    with pytest.raises(CryptoError):
        open_sealed(case_keys.private, blob[:1] + other + blob[33:], aad)


def test_low_order_ephemeral_key_is_a_crypto_error(case_keys: KeyPair) -> None:
    aad = aad_for(CASE, 3)
    blob = seal(case_keys.public, b"hello", aad)
    with pytest.raises(CryptoError):
        open_sealed(case_keys.private, blob[:1] + bytes(32) + blob[33:], aad)


def test_sealed_row_swapped_to_another_case_is_rejected(case_keys: KeyPair) -> None:
    blob = seal(case_keys.public, b"hello", aad_for(CASE, 3))
    with pytest.raises(CryptoError):
        open_sealed(case_keys.private, blob, aad_for("another-case", 3))


def test_sealed_rows_reordered_are_rejected(case_keys: KeyPair) -> None:
    first = seal(case_keys.public, b"first", aad_for(CASE, 1))
    second = seal(case_keys.public, b"second", aad_for(CASE, 2))
    with pytest.raises(CryptoError):
        open_sealed(case_keys.private, second, aad_for(CASE, 1))
    with pytest.raises(CryptoError):
        open_sealed(case_keys.private, first, aad_for(CASE, 2))


def test_wrong_private_key_is_rejected(case_keys: KeyPair) -> None:
    aad = aad_for(CASE, 1)
    blob = seal(case_keys.public, b"hello", aad)
    with pytest.raises(CryptoError):
        open_sealed(generate_keypair().private, blob, aad)


@pytest.mark.parametrize("length", [0, 1, 33, 45, 60])
def test_truncated_sealed_blob_is_rejected(case_keys: KeyPair, length: int) -> None:
    aad = aad_for(CASE, 1)
    blob = seal(case_keys.public, b"hello", aad)
    with pytest.raises(CryptoError):
        open_sealed(case_keys.private, blob[:length], aad)


def test_malformed_keys_raise_crypto_error(case_keys: KeyPair) -> None:
    aad = aad_for(CASE, 1)
    with pytest.raises(CryptoError):
        seal(b"short", b"x", aad)
    with pytest.raises(CryptoError):
        seal(bytes(32), b"x", aad)  # a low-order point, never a real public key
    with pytest.raises(CryptoError):
        open_sealed(b"short", seal(case_keys.public, b"x", aad), aad)
    with pytest.raises(CryptoError):
        public_key_of(b"short")


# --- symmetric wrapping ----------------------------------------------------------------------


def test_wrap_round_trip_and_failures() -> None:
    key = os.urandom(32)
    aad = aad_for("counsellor", 4, "team-key")
    blob = wrap(key, b"team private key", aad)
    assert blob[0] == 0x02
    assert len(blob) == 1 + 12 + len(b"team private key") + 16
    assert unwrap(key, blob, aad) == b"team private key"
    assert wrap(key, b"team private key", aad) != blob
    with pytest.raises(CryptoError):
        unwrap(os.urandom(32), blob, aad)
    with pytest.raises(CryptoError):
        unwrap(key, blob, aad_for("counsellor", 5, "team-key"))
    with pytest.raises(CryptoError):
        unwrap(key, flip(blob, 20), aad)
    with pytest.raises(CryptoError):
        unwrap(key, blob[:28], aad)
    with pytest.raises(CryptoError):
        unwrap(b"short", blob, aad)


def test_wrapped_and_sealed_blobs_are_not_interchangeable(case_keys: KeyPair) -> None:
    aad = aad_for(CASE, 1)
    with pytest.raises(CryptoError):
        open_sealed(case_keys.private, wrap(os.urandom(32), b"x" * 40, aad), aad)


# --- server key ------------------------------------------------------------------------------


@pytest.fixture
def server_key() -> ServerKey:
    return ServerKey.generate()


def test_server_key_round_trip(server_key: ServerKey) -> None:
    aad = aad_for("contact", 9)
    blob = server_key.encrypt("address", b"telegram:123456", aad)
    assert blob[0] == 0x03
    assert server_key.decrypt("address", blob, aad) == b"telegram:123456"


def test_server_key_purposes_are_separated(server_key: ServerKey) -> None:
    aad = aad_for("conv", 1)
    blob = server_key.encrypt("state", b"answers", aad)
    with pytest.raises(CryptoError):
        server_key.decrypt("address", blob, aad)


def test_server_key_failures(server_key: ServerKey) -> None:
    aad = aad_for("conv", 1)
    blob = server_key.encrypt("outbox", b"reply", aad)
    with pytest.raises(CryptoError):
        ServerKey.generate().decrypt("outbox", blob, aad)
    with pytest.raises(CryptoError):
        server_key.decrypt("outbox", blob, aad_for("conv", 2))
    with pytest.raises(CryptoError):
        server_key.decrypt("outbox", flip(blob, -1), aad)
    with pytest.raises(CryptoError):
        server_key.decrypt("outbox", blob[:10], aad)


def test_server_key_blob_is_not_a_wrap_under_the_raw_key() -> None:
    raw = os.urandom(32)
    key = ServerKey.from_bytes(raw)
    aad = aad_for("x")
    with pytest.raises(CryptoError):
        unwrap(raw, key.encrypt("state", b"data", aad), aad)


def test_server_key_rejects_bad_purpose(server_key: ServerKey) -> None:
    with pytest.raises(ValueError, match="purpose"):
        server_key.encrypt("", b"x", aad_for("x"))
    with pytest.raises(ValueError, match="purpose"):
        server_key.encrypt("State Data", b"x", aad_for("x"))


def test_pseudonym_is_stable_key_dependent_and_kind_separated(server_key: ServerKey) -> None:
    a = server_key.pseudonym("telegram", "123456789")
    assert re.fullmatch(r"[0-9a-f]{64}", a)
    assert server_key.pseudonym("telegram", "123456789") == a
    reloaded = ServerKey.from_text(server_key.to_text())
    assert reloaded.pseudonym("telegram", "123456789") == a
    assert ServerKey.generate().pseudonym("telegram", "123456789") != a
    assert server_key.pseudonym("case_code", "123456789") != a
    assert server_key.pseudonym("telegram", "123456780") != a
    assert "123456789" not in a


def test_fingerprint(server_key: ServerKey) -> None:
    fp = server_key.fingerprint()
    assert re.fullmatch(r"[0-9a-f]{16}", fp)
    assert ServerKey.from_text(server_key.to_text()).fingerprint() == fp
    assert ServerKey.generate().fingerprint() != fp
    assert fp not in server_key.to_text()


def test_from_bytes_requires_32_bytes() -> None:
    with pytest.raises(ValueError, match="exactly 32 bytes, got 31"):
        ServerKey.from_bytes(b"\x00" * 31)
    with pytest.raises(ValueError, match="exactly 32 bytes"):
        ServerKey.from_bytes(b"\x00" * 33)


def test_server_key_equality() -> None:
    raw = os.urandom(32)
    assert ServerKey.from_bytes(raw) == ServerKey.from_bytes(raw)
    assert ServerKey.from_bytes(raw) != ServerKey.generate()


def test_server_key_save_load_round_trip(tmp_path: Path, server_key: ServerKey) -> None:
    path = tmp_path / "server.key"
    server_key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert text.endswith("\n")
    assert len(text.strip()) == 44
    loaded = ServerKey.load(path)
    assert loaded == server_key
    aad = aad_for("conv", 1)
    assert loaded.decrypt("state", server_key.encrypt("state", b"x", aad), aad) == b"x"
    assert [p.name for p in tmp_path.iterdir()] == ["server.key"]  # no temp file left


def test_server_key_save_refuses_to_overwrite(tmp_path: Path, server_key: ServerKey) -> None:
    path = tmp_path / "server.key"
    path.write_text("precious\n")
    with pytest.raises(ServerKeyError, match="already exists"):
        server_key.save(path)
    assert path.read_text() == "precious\n"


def test_server_key_save_into_missing_directory(tmp_path: Path, server_key: ServerKey) -> None:
    with pytest.raises(ServerKeyError, match="does not exist"):
        server_key.save(tmp_path / "nope" / "server.key")


def _key_file(tmp_path: Path, content: str | bytes, mode: int = 0o600) -> Path:
    path = tmp_path / "server.key"
    if isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    path.chmod(mode)
    return path


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ServerKeyError, match=r"does not exist.*anlaufstelle init"):
        ServerKey.load(tmp_path / "server.key")


def test_load_world_readable_file_is_refused(tmp_path: Path) -> None:
    path = _key_file(tmp_path, ServerKey.generate().to_text() + "\n", mode=0o644)
    with pytest.raises(ServerKeyError, match=r"mode 0644.*chmod 600"):
        ServerKey.load(path)


def test_load_group_readable_file_is_refused(tmp_path: Path) -> None:
    path = _key_file(tmp_path, ServerKey.generate().to_text() + "\n", mode=0o640)
    with pytest.raises(ServerKeyError, match="chmod 600"):
        ServerKey.load(path)


def test_load_wrong_length(tmp_path: Path) -> None:
    path = _key_file(tmp_path, ServerKey.generate().to_text()[:-8] + "\n")
    with pytest.raises(ServerKeyError, match=r"decodes to \d+ bytes, expected 32"):
        ServerKey.load(path)


def test_load_bad_encoding(tmp_path: Path) -> None:
    path = _key_file(tmp_path, "this is not base64!\n")
    with pytest.raises(ServerKeyError, match=r"not base64.*openssl rand -base64 32"):
        ServerKey.load(path)


def test_load_impossible_base64_length(tmp_path: Path) -> None:
    path = _key_file(tmp_path, "A" * 45 + "\n")
    with pytest.raises(ServerKeyError, match="base64"):
        ServerKey.load(path)


def test_load_binary_file(tmp_path: Path) -> None:
    path = _key_file(tmp_path, os.urandom(32) + b"\xff")
    with pytest.raises(ServerKeyError, match="not text"):
        ServerKey.load(path)


def test_load_empty_file(tmp_path: Path) -> None:
    path = _key_file(tmp_path, "")
    with pytest.raises(ServerKeyError, match="empty"):
        ServerKey.load(path)


def test_load_directory(tmp_path: Path) -> None:
    with pytest.raises(ServerKeyError, match="not a regular file"):
        ServerKey.load(tmp_path)


def test_load_error_messages_do_not_echo_key_material(tmp_path: Path) -> None:
    text = ServerKey.generate().to_text()
    path = _key_file(tmp_path, text[:-4] + "\n")
    with pytest.raises(ServerKeyError) as info:
        ServerKey.load(path)
    assert text[:10] not in str(info.value)


def test_load_accepts_what_openssl_rand_base64_writes(tmp_path: Path) -> None:
    # `openssl rand -base64 32` (docs/docker.md) writes the standard alphabet with "+" and "/";
    # these bytes encode to both, so the url-safe-only reading refused them.
    raw = bytes([0xFB, 0xEF, 0xFF] * 10 + [0xFB, 0xFF])
    text = base64.b64encode(raw).decode()
    assert "+" in text and "/" in text
    path = _key_file(tmp_path, text + "\n")
    assert ServerKey.load(path) == ServerKey.from_bytes(raw)


def test_from_text_accepts_missing_padding() -> None:
    key = ServerKey.generate()
    assert ServerKey.from_text(key.to_text().rstrip("=")) == key


# --- key derivation --------------------------------------------------------------------------


def test_derive_key_is_deterministic_per_salt_and_params() -> None:
    salt = new_salt()
    assert len(salt) == 16
    key = derive_key("correct horse", salt, FAST)
    assert len(key) == 32
    assert derive_key("correct horse", salt, FAST) == key
    assert derive_key("correct horse", new_salt(), FAST) != key
    assert derive_key("correct horsf", salt, FAST) != key
    assert derive_key("correct horse", salt, KdfParams(time_cost=2, memory_cost_kib=8)) != key
    assert derive_key("correct horse", salt, KdfParams(time_cost=1, memory_cost_kib=16)) != key


def test_derive_key_normalises_unicode() -> None:
    salt = new_salt()
    composed = "Gr\u00fc\u00dfe"
    decomposed = "Gru\u0308\u00dfe"
    assert derive_key(composed, salt, FAST) == derive_key(decomposed, salt, FAST)


def test_derive_key_with_default_params() -> None:
    params = KdfParams()
    assert (params.time_cost, params.memory_cost_kib, params.parallelism) == (3, 65536, 1)
    salt = new_salt()
    key = derive_key("K7QF-3MZP-9TXA", salt, params)
    assert len(key) == 32
    assert key != derive_key("K7QF-3MZP-9TXA", salt, FAST)


def test_derive_key_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="empty"):
        derive_key("", new_salt(), FAST)
    with pytest.raises(ValueError, match="salt"):
        derive_key("x", b"short", FAST)


def test_kdf_params_serialise() -> None:
    params = KdfParams(time_cost=4, memory_cost_kib=131072, parallelism=2)
    data = params.to_dict()
    assert data["algorithm"] == "argon2id"
    assert KdfParams.from_dict(data) == params
    assert KdfParams.from_dict(KdfParams.fast().to_dict()) == KdfParams.fast()


@pytest.mark.parametrize(
    "change",
    [
        {"algorithm": "scrypt"},
        {"version": 16},
        {"time_cost": "3"},
        {"time_cost": True},
        {"time_cost": 0},
        {"memory_cost_kib": 2**40},
        {"parallelism": 0},
        {"extra": 1},
    ],
)
def test_kdf_params_from_dict_rejects_bad_values(change: dict[str, object]) -> None:
    data: dict[str, object] = {**KdfParams().to_dict(), **change}
    with pytest.raises(ValueError, match=r"(?i)kdf"):
        KdfParams.from_dict(data)


def test_kdf_params_missing_key() -> None:
    data = dict(KdfParams().to_dict())
    del data["parallelism"]
    with pytest.raises(ValueError, match="keys"):
        KdfParams.from_dict(data)


def test_session_key() -> None:
    token = os.urandom(32)
    key = session_key(token)
    assert len(key) == 32
    assert session_key(token) == key
    assert session_key(os.urandom(32)) != key
    assert key != token
    with pytest.raises(ValueError, match="128 bits"):
        session_key(b"short")


# --- case codes ------------------------------------------------------------------------------

CASE_CODE = re.compile(rf"[{CROCKFORD}]{{4}}-[{CROCKFORD}]{{4}}-[{CROCKFORD}]{{4}}")


def test_case_code_format_and_entropy() -> None:
    codes = [new_case_code() for _ in range(10_000)]
    assert all(CASE_CODE.fullmatch(c) for c in codes)
    assert len(set(codes)) == len(codes)
    used = {ch for code in codes for ch in code.replace("-", "")}
    assert used == set(CROCKFORD)  # every symbol appears, so no bias towards a subset
    assert not used & set("ILOU")
    # A biased generator (e.g. only digits in one position) shows up as few distinct symbols.
    for position in range(12):
        assert len({c.replace("-", "")[position] for c in codes}) == 32


def test_case_code_is_its_own_normal_form() -> None:
    code = new_case_code()
    assert normalize_case_code(code) == code


@pytest.mark.parametrize(
    "typed",
    [
        "k7qf-3mzp-9txa",
        "K7QF3MZP9TXA",
        " K7QF 3MZP 9TXA ",
        "K7QF \u2013 3MZP \u2013 9TXA",  # en dashes from autocorrect
        "\uff2b\uff17QF-3MZP-9TXA",  # full-width letters from some keyboards
    ],
)
def test_normalize_case_code_accepts_human_variants(typed: str) -> None:
    assert normalize_case_code(typed) == "K7QF-3MZP-9TXA"


def test_normalize_case_code_maps_lookalikes() -> None:
    assert normalize_case_code("OOIL-0011-ABCD") == "0011-0011-ABCD"
    assert normalize_case_code("oo1l-0011-abcd") == "0011-0011-ABCD"


@pytest.mark.parametrize(
    "typed",
    ["K7QF-3MZP-9TX", "K7QF-3MZP-9TXAB", "", "K7QF-3MZP-9TXU", "K7QF-3MZP-9TX!"],
)
def test_normalize_case_code_rejects_bad_codes(typed: str) -> None:
    with pytest.raises(ValueError, match="a case code has") as info:
        normalize_case_code(typed)
    if typed:
        assert typed not in str(info.value)


# --- recovery keys ---------------------------------------------------------------------------


def test_recovery_key_round_trip() -> None:
    text = new_recovery_key()
    groups = text.split("-")
    assert [len(g) for g in groups] == [4] * 13 + [6]
    assert set(text.replace("-", "")) <= set(CROCKFORD)
    key = recovery_key_bytes(text)
    assert len(key) == 32
    assert recovery_key_bytes(text) == key
    assert recovery_key_bytes(text.lower().replace("-", " ")) == key
    assert recovery_key_bytes(text.replace("0", "O").replace("1", "l")) == key
    assert new_recovery_key() != text


def test_recovery_key_is_usable_as_wrapping_key() -> None:
    key = recovery_key_bytes(new_recovery_key())
    aad = aad_for("team", 1, "recovery")
    assert unwrap(key, wrap(key, b"team private key", aad), aad) == b"team private key"


def test_recovery_key_detects_every_single_character_typo() -> None:
    text = new_recovery_key()
    positions = [i for i, ch in enumerate(text) if ch != "-"]
    for i in positions:
        for replacement in CROCKFORD:
            if replacement == text[i]:
                continue
            typo = text[:i] + replacement + text[i + 1 :]
            with pytest.raises(ValueError, match="typo"):
                recovery_key_bytes(typo)


def test_recovery_key_detects_swapped_neighbours() -> None:
    text = new_recovery_key().replace("-", "")
    for i in range(len(text) - 1):
        if text[i] != text[i + 1]:
            swapped = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
            with pytest.raises(ValueError, match="typo"):
                recovery_key_bytes(swapped)


@pytest.mark.parametrize("cut", [1, 4])
def test_recovery_key_wrong_length(cut: int) -> None:
    with pytest.raises(ValueError, match="58 characters"):
        recovery_key_bytes(new_recovery_key()[:-cut])


def test_recovery_key_bad_alphabet() -> None:
    text = new_recovery_key()
    with pytest.raises(ValueError, match="except I, L, O, U"):
        recovery_key_bytes("U" + text[1:])


# --- passwords -------------------------------------------------------------------------------


def test_password_hash_and_verify() -> None:
    stored = hash_password("Lange Passphrase 2024")
    assert stored.startswith("$argon2id$")
    assert "Lange Passphrase" not in stored
    assert verify_password(stored, "Lange Passphrase 2024")
    assert not verify_password(stored, "Lange Passphrase 2025")
    assert not verify_password(stored, "")
    assert hash_password("Lange Passphrase 2024") != stored  # salted
    assert not password_needs_rehash(stored)


def test_password_is_normalised() -> None:
    stored = hash_password("Gr\u00fc\u00dfe aus Hannover")
    assert verify_password(stored, "Gru\u0308\u00dfe aus Hannover")


def test_password_rehash_when_params_are_weaker() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw")
    assert verify_password(weak, "pw")
    assert password_needs_rehash(weak)


def test_malformed_password_hash_is_a_crypto_error() -> None:
    with pytest.raises(CryptoError):
        verify_password("not a hash", "pw")
    with pytest.raises(CryptoError):
        password_needs_rehash("not a hash")


# --- no key material in repr -----------------------------------------------------------------


def test_repr_never_contains_key_material() -> None:
    raw = os.urandom(32)
    key = ServerKey.from_bytes(raw)
    pair = generate_keypair()
    for text in (repr(key), str(key), repr(pair), str(pair), f"{key!r} {pair}"):
        for secret in (raw, pair.private):
            assert secret.hex() not in text
            assert secret.hex()[:8] not in text
            assert key.to_text()[:8] not in text
            assert repr(secret) not in text
    assert "fingerprint" in repr(key)


def test_server_key_cannot_be_pickled() -> None:
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(ServerKey.generate())


# --- format stability ------------------------------------------------------------------------
# Every value below is read back from stored data (or recomputed to match stored data). If one
# of these tests fails, existing databases, key files or printed recovery keys stop working:
# introduce a new format byte or context string instead of changing the old one.

FIXED_SERVER_KEY = bytes(range(32))
FIXED_CASE_PRIVATE = bytes(range(32, 64))


def test_stable_server_key_derivations() -> None:
    key = ServerKey.from_bytes(FIXED_SERVER_KEY)
    assert key.fingerprint() == "8da46bc3450e20a2"
    assert key.pseudonym("telegram", "123456789") == (
        "2e9a15fd2db047e2024eac947fc0700d0d266f3d839bc082803eb41d78e5b22f"
    )
    blob = bytes.fromhex("03565e4c35399b3dd53ee5eeefa5efc8c24b7d2e17ac145b7d02cd733cbf36d5c6f0")
    assert key.decrypt("state", blob, aad_for("conv", 1)) == b"hello"
    # Row MACs (storage/integrity.py) are stored beside every row.
    for _ in range(2):  # the second from the keyed state kept after the first
        assert key.mac("row", b"conversation 1").hex() == (
            "dcd759c23a16445065f578991fe56c6d87796ab55b01dbaf3edb306d7ac3f205"
        )


def test_stable_sealed_format() -> None:
    assert public_key_of(FIXED_CASE_PRIVATE).hex() == (
        "358072d6365880d1aeea329adf9121383851ed21a28e3b75e965d0d2cd166254"
    )
    blob = bytes.fromhex(
        "01350dbf8d182222c67878acbde2347ded2505a64b81865eb6b9ea6230c07b1b4d73cc043588f1d2b2"
        "39b484b882867169303ad141a27c94130cf8a46dcbb9588714"
    )
    assert open_sealed(FIXED_CASE_PRIVATE, blob, aad_for("case", 7)) == b"hello"


def test_stable_key_derivations() -> None:
    assert aad_for("case", 7).hex() == "730000000463617365690000000137"
    assert derive_key("K7QF-3MZP-9TXA", bytes(16), FAST).hex() == (
        "2569d59242f2f60c6c6a7d7ffbc27d838b50359c67eeeb97352ec3393b0c8da4"
    )
    assert session_key(bytes(range(32))).hex() == (
        "04ef238198d61377923f12128003f36d3bbd6cb9032392ea81da8e2a29ddb0bb"
    )
    text = "000G-40R4-0M30-E209-185G-R38E-1W81-24GK-2GAH-C5RR-34D1-P70X-3RFG-MND8JB"
    assert recovery_key_bytes(text) == bytes(range(32))


def test_derive_key_is_argon2id() -> None:
    # Cross-check against argon2-cffi's high-level API, which encodes the variant it used.
    salt = bytes(range(16))
    encoded = PasswordHasher(
        time_cost=FAST.time_cost,
        memory_cost=FAST.memory_cost_kib,
        parallelism=FAST.parallelism,
        hash_len=32,
    ).hash("K7QF-3MZP-9TXA", salt=salt)
    assert encoded.startswith("$argon2id$v=19$")
    raw = base64.b64decode(encoded.rsplit("$", 1)[1] + "==")
    assert derive_key("K7QF-3MZP-9TXA", salt, FAST) == raw


def test_a_recovery_key_stands_for_one_key_pair_that_opens_what_is_sealed_to_it() -> None:
    secret = recovery_key_bytes(new_recovery_key())
    pair = recovery_keypair(secret)
    assert recovery_keypair(secret) == pair  # the same paper key, the same pair, every time
    assert recovery_keypair(recovery_key_bytes(new_recovery_key())).public != pair.public
    blob = seal(pair.public, b"team private key", aad_for("team-key", 1, "recovery", 0))
    assert open_sealed(pair.private, blob, aad_for("team-key", 1, "recovery", 0)) == (
        b"team private key"
    )
