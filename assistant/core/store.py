"""The SQLite database holding conversations, meetings and settings.

One file in the user data dir, in WAL mode so every committed write survives a
crash. The schema is versioned with ``PRAGMA user_version``; each entry of
:data:`MIGRATIONS` lifts it by one.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.core.paths import data_dir

DB_NAME = "history.sqlite3"
_REGISTERED = object()  # get_setting without a default: the registered one


# Message states: a reply being streamed is "streaming"; one cut short (stopped,
# failed or interrupted by a crash) is "partial".
COMPLETE, STREAMING, PARTIAL = "complete", "streaming", "partial"


def _migrate_1(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            system_prompt TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL,
            updated REAL NOT NULL
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            content TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'complete',
            stats TEXT,
            created REAL NOT NULL
        );
        CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE meetings (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            transcript TEXT NOT NULL DEFAULT '',
            notes TEXT,
            meeting_date TEXT,
            created REAL NOT NULL,
            updated REAL NOT NULL
        );
        """
    )


def _migrate_2(db: sqlite3.Connection) -> None:
    """Each conversation remembers which engine answers it ("local" or "remote")."""
    db.execute("ALTER TABLE conversations ADD COLUMN engine TEXT NOT NULL DEFAULT 'local'")


#: Schema migrations in order; migration i (0-based) takes version i to i + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migrate_1, _migrate_2]


@dataclass
class Conversation:
    id: int
    title: str
    system_prompt: str
    created: float
    updated: float
    engine: str = "local"  # "local" (this computer) or "remote" (the team server)


@dataclass
class StoredMessage:
    id: int
    conversation_id: int
    role: str  # "user", "assistant", or "notice" (shown to the user, never sent to the model)
    content: str
    status: str = COMPLETE
    stats: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0


@dataclass
class Meeting:
    id: int
    title: str
    transcript: str
    notes: dict[str, Any] | None
    meeting_date: str | None
    created: float
    updated: float


class Store:
    """Access to the history database. Use from one thread at a time."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else data_dir() / DB_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    # -- schema ---------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"The history database {self.path} was written by a newer version of Llama Desk "
                f"(schema {version}); update the app to open it."
            )
        for index in range(version, len(MIGRATIONS)):
            with self.db:
                self.db.execute("BEGIN")
                MIGRATIONS[index](self.db)
                self.db.execute(f"PRAGMA user_version = {index + 1}")

    def recover_interrupted(self) -> int:
        """Replies that were streaming when the app died are kept and marked partial.

        The app's window start runs this once; opening the store elsewhere (the command line, a
        second window's page) must not, or it would cut short a reply the running app is streaming.
        """
        cursor = self.db.execute("UPDATE messages SET status = ? WHERE status = ?", (PARTIAL, STREAMING))
        return cursor.rowcount

    def close(self) -> None:
        self.db.close()

    # -- conversations --------------------------------------------------------
    def create_conversation(self, title: str = "New chat", system_prompt: str = "") -> Conversation:
        now = time.time()
        cursor = self.db.execute(
            "INSERT INTO conversations (title, system_prompt, created, updated) VALUES (?, ?, ?, ?)",
            (title, system_prompt, now, now),
        )
        return Conversation(int(cursor.lastrowid), title, system_prompt, now, now, "local")

    def list_conversations(self) -> list[Conversation]:
        rows = self.db.execute("SELECT * FROM conversations ORDER BY updated DESC, id DESC").fetchall()
        return [Conversation(**dict(row)) for row in rows]

    def get_conversation(self, conversation_id: int) -> Conversation | None:
        row = self.db.execute("SELECT * FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return Conversation(**dict(row)) if row else None

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        self.db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title.strip() or "Untitled", conversation_id))

    def set_conversation_engine(self, conversation_id: int, engine: str) -> None:
        self.db.execute("UPDATE conversations SET engine = ? WHERE id = ?", (engine, conversation_id))

    def set_system_prompt(self, conversation_id: int, system_prompt: str) -> None:
        self.db.execute("UPDATE conversations SET system_prompt = ? WHERE id = ?", (system_prompt, conversation_id))

    def delete_conversation(self, conversation_id: int) -> None:
        self.db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def _touch(self, conversation_id: int) -> None:
        self.db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (time.time(), conversation_id))

    # -- messages -------------------------------------------------------------
    def add_message(
        self, conversation_id: int, role: str, content: str, status: str = COMPLETE, stats: dict[str, Any] | None = None
    ) -> StoredMessage:
        now = time.time()
        with self.db:
            self.db.execute("BEGIN")
            cursor = self.db.execute(
                "INSERT INTO messages (conversation_id, role, content, status, stats, created) VALUES (?, ?, ?, ?, ?, ?)",
                (conversation_id, role, content, status, json.dumps(stats) if stats else None, now),
            )
            self._touch(conversation_id)
        return StoredMessage(int(cursor.lastrowid), conversation_id, role, content, status, stats or {}, now)

    def update_message(
        self, message_id: int, *, content: str | None = None, status: str | None = None, stats: dict[str, Any] | None = None
    ) -> None:
        assignments, values = [], []
        if content is not None:
            assignments.append("content = ?")
            values.append(content)
        if status is not None:
            assignments.append("status = ?")
            values.append(status)
        if stats is not None:
            assignments.append("stats = ?")
            values.append(json.dumps(stats))
        if assignments:
            self.db.execute(f"UPDATE messages SET {', '.join(assignments)} WHERE id = ?", (*values, message_id))

    def delete_message(self, message_id: int) -> None:
        self.db.execute("DELETE FROM messages WHERE id = ?", (message_id,))

    def messages(self, conversation_id: int) -> list[StoredMessage]:
        rows = self.db.execute("SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)).fetchall()
        result = []
        for row in rows:
            data = dict(row)
            data["stats"] = json.loads(data["stats"]) if data["stats"] else {}
            result.append(StoredMessage(**data))
        return result

    # -- meetings -------------------------------------------------------------
    def add_meeting(self, title: str, transcript: str, meeting_date: str | None = None) -> Meeting:
        now = time.time()
        cursor = self.db.execute(
            "INSERT INTO meetings (title, transcript, meeting_date, created, updated) VALUES (?, ?, ?, ?, ?)",
            (title, transcript, meeting_date, now, now),
        )
        return Meeting(int(cursor.lastrowid), title, transcript, None, meeting_date, now, now)

    def update_meeting(
        self,
        meeting_id: int,
        *,
        title: str | None = None,
        transcript: str | None = None,
        notes: dict[str, Any] | None = None,
    ) -> None:
        assignments, values = ["updated = ?"], [time.time()]
        for column, value in (("title", title), ("transcript", transcript)):
            if value is not None:
                assignments.append(f"{column} = ?")
                values.append(value)
        if notes is not None:
            assignments.append("notes = ?")
            values.append(json.dumps(notes))
        self.db.execute(f"UPDATE meetings SET {', '.join(assignments)} WHERE id = ?", (*values, meeting_id))

    def _meeting(self, row: sqlite3.Row) -> Meeting:
        data = dict(row)
        data["notes"] = json.loads(data["notes"]) if data["notes"] else None
        return Meeting(**data)

    def get_meeting(self, meeting_id: int) -> Meeting | None:
        row = self.db.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
        return self._meeting(row) if row else None

    def list_meetings(self, search: str = "") -> list[Meeting]:
        if search:
            pattern = f"%{search}%"
            rows = self.db.execute(
                "SELECT * FROM meetings WHERE title LIKE ? OR transcript LIKE ? OR notes LIKE ? ORDER BY updated DESC",
                (pattern, pattern, pattern),
            ).fetchall()
        else:
            rows = self.db.execute("SELECT * FROM meetings ORDER BY updated DESC").fetchall()
        return [self._meeting(row) for row in rows]

    def delete_meeting(self, meeting_id: int) -> None:
        self.db.execute("DELETE FROM meetings WHERE id = ?", (meeting_id,))

    # -- settings -------------------------------------------------------------
    def get_setting(self, key: str, default: Any = _REGISTERED) -> Any:
        """The stored value, else ``default``, else the default in :mod:`assistant.core.settings`."""
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        if row:
            return json.loads(row[0])
        if default is _REGISTERED:
            from assistant.core import settings

            return settings.default(key)
        return default

    def set_setting(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )
