"""History database: persistence, crash recovery, migrations, settings."""

from __future__ import annotations

import sqlite3

import pytest

from assistant.core import store as store_module
from assistant.core.store import COMPLETE, PARTIAL, STREAMING, Store


def test_conversations_and_messages_survive_reopening(tmp_path):
    path = tmp_path / "h.sqlite3"
    first = Store(path)
    conversation = first.create_conversation("Trip", "Be brief.")
    first.add_message(conversation.id, "user", "Hello")
    first.add_message(conversation.id, "assistant", "Hi!", stats={"tokens": 2})
    first.close()

    second = Store(path)
    [reopened] = second.list_conversations()
    assert (reopened.title, reopened.system_prompt) == ("Trip", "Be brief.")
    messages = second.messages(conversation.id)
    assert [(m.role, m.content, m.status) for m in messages] == [("user", "Hello", COMPLETE), ("assistant", "Hi!", COMPLETE)]
    assert messages[1].stats == {"tokens": 2}
    assert second.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reply_streaming_at_a_crash_is_kept_as_partial(tmp_path):
    path = tmp_path / "h.sqlite3"
    first = Store(path)
    conversation = first.create_conversation()
    reply = first.add_message(conversation.id, "assistant", "", status=STREAMING)
    first.update_message(reply.id, content="The first half of an ans")
    # No close(): the process "dies" here; a new process opens the same file.
    second = Store(path)
    assert second.recover_interrupted() == 1  # the app's window start runs this step
    [message] = second.messages(conversation.id)
    assert (message.content, message.status) == ("The first half of an ans", PARTIAL)
    first.close()


def test_rename_delete_and_cascade(tmp_path):
    store = Store(tmp_path / "h.sqlite3")
    keep = store.create_conversation("keep")
    gone = store.create_conversation("gone")
    store.add_message(gone.id, "user", "bye")
    store.rename_conversation(keep.id, "  kept  ")
    store.delete_conversation(gone.id)
    assert [c.title for c in store.list_conversations()] == ["kept"]
    assert store.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0


def test_settings_round_trip(tmp_path):
    store = Store(tmp_path / "h.sqlite3")
    assert store.get_setting("model_path", "none") == "none"
    store.set_setting("model_path", "/m/a.gguf")
    store.set_setting("model_path", "/m/b.gguf")
    assert store.get_setting("model_path") == "/m/b.gguf"


def test_meetings_are_saved_and_searchable(tmp_path):
    store = Store(tmp_path / "h.sqlite3")
    meeting = store.add_meeting("Planning", "Dana: ship on Friday", "2026-11-27")
    store.update_meeting(meeting.id, notes={"title": "Planning", "decisions": ["Ship Friday"]})
    assert [m.title for m in store.list_meetings("friday")] == ["Planning"]
    assert store.get_meeting(meeting.id).notes["decisions"] == ["Ship Friday"]
    assert store.list_meetings("nothing like this") == []


def test_migrations_run_once_and_in_order(tmp_path, monkeypatch):
    path = tmp_path / "h.sqlite3"
    Store(path).close()
    calls = []

    def add_column(db: sqlite3.Connection) -> None:
        calls.append("next")
        db.execute("ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0")

    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, add_column])
    upgraded = Store(path)
    assert upgraded.schema_version == len(store_module.MIGRATIONS)
    upgraded.create_conversation("x")
    upgraded.close()
    Store(path).close()
    assert calls == ["next"]


def test_database_from_a_newer_version_is_refused_clearly(tmp_path):
    path = tmp_path / "h.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(RuntimeError, match="newer version"):
        Store(path)


def test_a_version_1_database_is_upgraded_keeping_its_conversations(tmp_path):
    path = tmp_path / "h.sqlite3"
    db = sqlite3.connect(path)
    store_module._migrate_1(db)
    db.execute("INSERT INTO conversations (title, system_prompt, created, updated) VALUES ('old', '', 1, 1)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    store = Store(path)
    [conversation] = store.list_conversations()
    assert (conversation.title, conversation.engine) == ("old", "local")
    store.set_conversation_engine(conversation.id, "remote")
    assert store.get_conversation(conversation.id).engine == "remote"


def test_a_settings_read_by_the_command_line_leaves_a_streaming_reply_alone(tmp_path, monkeypatch):
    """The CLI reads settings read-only: the app's streaming reply is not marked cut short."""
    from assistant.core import settings

    monkeypatch.setenv("LLAMA_DESK_DATA_DIR", str(tmp_path))
    app = Store()  # the running app
    app.set_setting(settings.MODEL_PATH, "/models/a.gguf")
    conversation = app.create_conversation()
    reply = app.add_message(conversation.id, "assistant", "Half a", status=STREAMING)
    assert settings.remembered_model() == "/models/a.gguf"
    assert settings.context_size() == settings.DEFAULT_CONTEXT_SIZE  # the registered default
    assert settings.read("no_such_key") is None
    [message] = app.messages(conversation.id)
    assert (message.id, message.status) == (reply.id, STREAMING)
    Store().close()  # opening the store does not repair either; only the window start does
    assert app.messages(conversation.id)[0].status == STREAMING


def test_settings_read_without_a_database_gives_the_defaults(tmp_path):
    from assistant.core import settings

    assert settings.read(settings.CHAT_CALENDAR, tmp_path / "none.sqlite3") == "local"
    assert settings.read(settings.MODEL_FOLDERS, tmp_path / "none.sqlite3") == []
    assert Store(tmp_path / "h.sqlite3").get_setting(settings.CHAT_TOOLS) is True
