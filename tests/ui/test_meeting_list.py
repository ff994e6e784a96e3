"""The Meetings page's side column: search, open by click, rename, delete."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog

from assistant.core.engines.fake import FakeEngine
from tests.support.ui_helpers import close_window, open_window


def _titles(page) -> list[str]:
    return [page.meeting_list.item(row).text() for row in range(page.meeting_list.count())]


def test_search_click_rename_and_delete(qtbot, monkeypatch):
    window = open_window(qtbot, FakeEngine())
    page = window.meetings_page
    standup = page.new_meeting("Stand-up", "We ship the beta on Friday.")
    review = page.new_meeting("Budget review", "The budget grows by ten per cent.")
    assert sorted(_titles(page)) == ["Budget review", "Stand-up"]

    page.meeting_column.search.setText("beta")  # searches transcripts too
    assert _titles(page) == ["Stand-up"]
    page.meeting_list.setCurrentRow(0)  # a click opens the meeting
    assert page.meeting_id == standup and page.transcript_edit.toPlainText() == "We ship the beta on Friday."
    page.meeting_column.search.clear()

    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("Launch stand-up", True))
    page.meeting_column.rename(standup)
    assert page.title_edit.text() == "Launch stand-up"  # the open meeting shows its new title
    assert sorted(_titles(page)) == ["Budget review", "Launch stand-up"]

    page.meeting_column.deleteRequested.emit(standup)
    assert _titles(page) == ["Budget review"] and page.meeting_id is None and page.title_edit.text() == ""
    assert window.store.get_meeting(review) is not None
    close_window(window)
