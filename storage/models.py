"""Tables. Every column that could hold what a person said or who they are is ciphertext.

Plaintext columns are ids, states, timestamps and the few priority inputs the queue must sort
by without a key (crisis flag, incident date, waiting since); docs/threat-model.md lists them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no time zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware one (the service's clock is UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utc_sqlite_text(value: datetime | None) -> str | None:
    """What `UTCDateTime` binds on SQLite, in one call instead of its two processors: the
    naive UTC time as SQLAlchemy's SQLite DATETIME writes it ("2026-12-06 18:00:00.000000");
    for statements prepared once and run per message (storage/statement_batch.py)."""
    global _last_text
    if value is None:
        return None
    last = _last_text
    if last[0] is value:  # a unit stamps most of its rows with the same `now`
        return last[1]
    if value.tzinfo is None:
        raise ValueError("naive datetime given; pass an aware one (the service's clock is UTC)")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    text = value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"
    _last_text = (value, text)
    return text


_last_text: tuple[datetime | None, str] = (None, "")
"""The last time `utc_sqlite_text` wrote, with its text (it holds the time, so the identity
check cannot meet another object at the same address)."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recovery_public_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    """The public half of the recovery key's key pair: team keys are sealed to it, so a new
    team key can be wrapped for recovery without the recovery key. None for teams made before
    (their recovery wraps are symmetric and a rotation needs the recovery key)."""
    mac: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    """Row MAC under the server key (storage/integrity.py): this service wrote the row."""


class TeamKey(Base):
    """A team's X25519 public key; the newest unretired one receives new cases."""

    __tablename__ = "team_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    mac: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    """Row MAC under the server key (storage/integrity.py): this service wrote the row."""


class TeamKeyWrap(Base):
    """The team private key, sealed to a counsellor's public key or wrapped for the recovery key."""

    __tablename__ = "team_key_wraps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_key_id: Mapped[int] = mapped_column(
        ForeignKey("team_keys.id", ondelete="CASCADE"), index=True
    )
    holder: Mapped[str] = mapped_column(String(16))  # "counsellor" | "recovery"
    counsellor_id: Mapped[int | None] = mapped_column(
        ForeignKey("counsellors.id", ondelete="CASCADE"), nullable=True, index=True
    )
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)


class Counsellor(Base):
    __tablename__ = "counsellors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # "counsellor" | "admin"
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    """Argon2id hash; None while an invited account has not been set up."""
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    private_key_wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    """Counsellor private key under a key derived from the password (Argon2id), or, until the
    account is set up, under a key derived from the one-time setup token (HKDF)."""
    kdf_salt: Mapped[bytes] = mapped_column(LargeBinary)
    kdf_params: Mapped[dict[str, Any]] = mapped_column(JSON)
    totp_secret_ct: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    """The TOTP secret under the server key (purpose "totp")."""
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The last accepted TOTP time step: a code is accepted once only."""
    setup_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    """Keyed hash of the one-time setup token; cleared when the account is set up."""
    setup_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    mac: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    """Row MAC under the server key (storage/integrity.py): this service wrote the row."""


class TeamMember(Base):
    __tablename__ = "team_members"
    team_id: Mapped[str] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    counsellor_id: Mapped[int] = mapped_column(
        ForeignKey("counsellors.id", ondelete="CASCADE"), primary_key=True
    )


class Contact(Base):
    """A pseudonymous person on one channel: HMAC pseudonym for lookup, address encrypted."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    address_ct: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """A counsellor marked the contact's messages as abuse: what they send is kept (sealed
    to the case) but held out of the queue, until an admin lifts it."""


class FlowVersion(Base):
    """A flow version: immutable once stored; numbered per flow id when published.
    Flows hold no personal data."""

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Set when published; drafts (e.g. a simulation of an edited file) have none."""
    source: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


class FlowDraft(Base):
    """The one working copy of a flow that admins edit in the console before publishing.

    `revision` grows with every save; a save names the revision it started from and is
    refused when another admin saved in between (optimistic locking, never a silent
    overwrite). Flows hold no personal data."""

    __tablename__ = "flow_drafts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    base_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("flow_versions.id"), nullable=True
    )
    """The version the draft was started from (None: started empty)."""
    revision: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    flow_version_id: Mapped[int] = mapped_column(ForeignKey("flow_versions.id"))
    owner: Mapped[str] = mapped_column(String(16), index=True)  # bot|queued|counsellor|closed
    language: Mapped[str] = mapped_column(String(16))
    state_ct: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    """Bot-phase dialog state under the server key; wiped at handover and on idle expiry."""
    next_seq: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), nullable=True
    )
    previous_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), nullable=True
    )
    mac: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    """Row MAC under the server key (storage/integrity.py): this service wrote the row."""


class Message(Base):
    """One line of a transcript. `sealed`: to the case public key; otherwise under the server key
    (bot phase, resealed at handover)."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(16))  # person|bot|counsellor|note
    sealed: Mapped[bool] = mapped_column(Boolean)
    body_ct: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    mac: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    """Row MAC under the server key (storage/integrity.py): this service wrote the row."""


class AttachmentChunk(Base):
    """A piece of a file a person sent (bot/evidence made it clean first). The file's line in
    the transcript (`Message`, same conversation and `seq`) says what it is and carries the
    SHA-256 of the whole; the pieces are encrypted like that line: under the server key
    before handover, sealed to the case public key after it, each with associated data that
    binds it to its case (or conversation), line and index."""

    __tablename__ = "attachment_chunks"
    __table_args__ = (UniqueConstraint("conversation_id", "seq", "idx"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    idx: Mapped[int] = mapped_column(Integer)
    sealed: Mapped[bool] = mapped_column(Boolean)
    body_ct: Mapped[bytes] = mapped_column(LargeBinary)


class InboundReceipt(Base):
    """Makes inbound processing idempotent: a row per (contact, keyed hash of client message id)."""

    __tablename__ = "inbound_receipts"
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    client_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Case(Base):
    __tablename__ = "cases"
    # A case's number is what counsellors and the audit log know it by: on SQLite, without
    # AUTOINCREMENT, the next case would get the number of the newest one once it was
    # deleted (migration 0012). PostgreSQL's sequences never give a number twice.
    __table_args__ = ({"sqlite_autoincrement": True},)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # waiting|claimed|closed
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    code_lookup: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    """Keyed hash of the case code's first group only (20 bits): it narrows the search to a few
    cases, and the rest of the code is checked by unwrapping with Argon2id. A hash of the whole
    code would let someone with the database and server key test guesses at HMAC speed."""
    summary_ct: Mapped[bytes] = mapped_column(LargeBinary)
    """Intake answers, sealed to the case public key."""
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16))
    crisis: Mapped[bool] = mapped_column(Boolean, default=False)
    incident_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    waiting_since: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[int | None] = mapped_column(
        ForeignKey("counsellors.id", ondelete="SET NULL"), nullable=True
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    mac: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    """Row MAC under the server key (storage/integrity.py): this service wrote the row."""


class CaseKeyWrap(Base):
    """The case private key, once per way of reading it: team key, case code, session token."""

    __tablename__ = "case_key_wraps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # team|code|session
    team_key_id: Mapped[int | None] = mapped_column(ForeignKey("team_keys.id"), nullable=True)
    kdf_salt: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    kdf_params: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)


class CaseNote(Base):
    """A counsellor's internal note or closing documentation, sealed to the team's public key.

    Not to the case key: the person's case code unwraps the case key, and notes are the
    office's, not theirs. A transfer to another team reseals the notes for the new team.
    """

    __tablename__ = "case_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    team_key_id: Mapped[int] = mapped_column(ForeignKey("team_keys.id"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("counsellors.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # note|closing
    body_ct: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    mac: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    """Row MAC under the server key (storage/integrity.py): this service wrote the row."""


class OutboxItem(Base):
    """A reply waiting for delivery; payload and address under the server key; deleted when sent."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    delivery_id: Mapped[str] = mapped_column(String(32))
    """128 random bits in hex, sent with the reply for receivers that drop repeats. Not the
    row id: SQLite hands out row ids again once the table is empty, so a receiver would drop
    a new reply as a repeat of an old one."""
    payload_ct: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """The error's class and status only, never content."""


class AuditEntry(Base):
    """Append-only: who did what to which case, never content."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(String(500), default="")


class ServerMeta(Base):
    __tablename__ = "server_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


class OfficeSetting(Base):
    """A setting an admin changed in the console; it overrides the settings file's value
    until it is reset. Office hours, embedding sites, retention: no personal data."""

    __tablename__ = "office_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UiTranslation(Base):
    """A translation of one of the service's texts that an admin imported (a PO file); it
    takes precedence over the shipped one. Texts for everybody: no personal data."""

    __tablename__ = "ui_translations"
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    forms: Mapped[list[str]] = mapped_column(JSON)
    """One text, or the plural forms in the language's gettext order."""
    source: Mapped[str] = mapped_column(Text)
    """The German text it was translated from."""
    reviewed: Mapped[bool] = mapped_column(Boolean)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatCounter(Base):
    """Anonymous statistics: how many closed cases had a given value, per month.

    Written once at close time from the counsellor's documentation, never derived from
    transcripts; a count says nothing about which case it came from.
    """

    __tablename__ = "stat_counters"
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
