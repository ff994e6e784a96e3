"""First-run wizard against a local hub: choose, accept the licence, download, speed check."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from assistant.core.engines.fake import FakeEngine
from assistant.core.engines.llama import LlamaCppEngine
from assistant.core.models.catalog import load_catalog, parse_catalog
from assistant.core.models.machine_check import MachineCheck, cached, machine_key
from assistant.core.settings import LICENSE_ACCEPTED as LICENSE_SETTING
from assistant.ui.setup_wizard import SetupWizard
from tests.support.hub_server import COMMIT, HubServer, sha256_of
from tests.support.profiles import PROFILES
from tests.support.ui_helpers import close_window, open_window

REPO = "test-org/SmolLM2-GGUF"
SMALL_REPO = "test-org/Tiny-GGUF"


def _model(model_id: str, repo: str, path: Path, quant: str) -> dict:
    return {
        "id": model_id, "name": f"{model_id} test", "parameters": 135_000_000, "layers": 30, "kv_heads": 3,
        "head_dim": 64, "context_length": 8192, "vocab_size": 49152,
        "source": {"repo": repo, "revision": COMMIT},
        "builds": [{"quant": quant, "file": path.name, "size": path.stat().st_size, "sha256": sha256_of(path)}],
    }


def _catalog(smollm_path: Path, tiny_path: Path | None = None):
    models = [_model("smollm2-test", REPO, smollm_path, "Q8_0")]
    if tiny_path is not None:
        models.append(_model("tiny-test", SMALL_REPO, tiny_path, "Q4_0"))
    return parse_catalog({"format": 1, "models": models}, "test")


@pytest.fixture
def tiny_path(tmp_path) -> Path:
    """A small stand-in file for "the smaller build" (the fake engine loads anything)."""
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF" + bytes(range(256)) * 4000)
    return path


@pytest.fixture
def hub(smollm_path, tiny_path, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with HubServer() as server:
        server.add(REPO, smollm_path.name, smollm_path, sha256_of(smollm_path))
        server.add(SMALL_REPO, tiny_path.name, tiny_path, sha256_of(tiny_path))
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        yield server


def _wizard(qtbot, window, catalog, measure=None) -> SetupWizard:
    wizard = SetupWizard(window.store, window.bridge, catalog, PROFILES["16 GB laptop (AVX2)"], window, measure=measure)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def test_new_user_goes_from_wizard_to_a_verified_loaded_model(qtbot, hub, smollm_path):
    window = open_window(qtbot, LlamaCppEngine())
    wizard = _wizard(qtbot, window, _catalog(smollm_path))
    wizard.speed_seconds = 1.5
    assert "Recommended" in wizard.recommendation.text()
    assert wizard.build_list.count() == 1 and "fits" in wizard.build_list.item(0).text()
    wizard.choose_next.click()
    assert wizard.pages.currentIndex() == 1 and not wizard.license_next.isEnabled()
    wizard.accept_box.setChecked(True)
    wizard.license_next.click()
    qtbot.waitUntil(lambda: wizard.measured_speed is not None or bool(wizard.error_text), timeout=120_000)
    assert not wizard.error_text
    assert wizard.measured_speed > 0 and wizard.done_button.isEnabled()
    assert Path(wizard.model_path).read_bytes() == smollm_path.read_bytes()
    assert window.model_info is not None and window.model_info.path == wizard.model_path
    assert window.store.get_setting("model_path") == str(Path(wizard.model_path).resolve())
    assert window.store.get_setting(LICENSE_SETTING)
    wizard.done_button.click()
    close_window(window)


def test_gated_download_shows_a_clear_message_and_can_retry(qtbot, hub, smollm_path):
    window = open_window(qtbot, FakeEngine())
    window.store.set_setting(LICENSE_SETTING, "2026-01-01T00:00:00+00:00")  # accepted before: no licence page
    hub.state.status = 401
    wizard = _wizard(qtbot, window, _catalog(smollm_path))
    wizard.choose_next.click()
    qtbot.waitUntil(lambda: bool(wizard.error_text), timeout=60_000)
    assert "access" in wizard.error_text.lower() or "gated" in wizard.error_text.lower() or "log" in wizard.error_text.lower()
    assert wizard.resume_button.isEnabled() and wizard.resume_button.text() == "Try again"
    hub.state.status = None
    wizard.resume_button.click()
    qtbot.waitUntil(lambda: wizard.model_path is not None, timeout=60_000)
    wizard.reject()
    close_window(window)


def test_a_copy_in_lm_studios_folder_is_used_without_downloading(qtbot, hub, smollm_path, tmp_path, monkeypatch):
    home = tmp_path / "home"
    lm_studio = home / ".lmstudio" / "models" / "bartowski" / "SmolLM2-GGUF"
    lm_studio.mkdir(parents=True)
    (lm_studio / "model-q8.gguf").write_bytes(smollm_path.read_bytes())
    monkeypatch.setenv("HOME", str(home))
    window = open_window(qtbot, FakeEngine())
    window.store.set_setting(LICENSE_SETTING, "2026-01-01T00:00:00+00:00")
    wizard = _wizard(qtbot, window, _catalog(smollm_path))
    wizard.speed_seconds = 0.5
    assert "LM Studio" in wizard.folders_label.text()
    mine = tmp_path / "my models"
    mine.mkdir()
    assert wizard.forget_folders_button.isHidden()
    wizard.add_search_folder(mine)
    assert str(mine.resolve()) in wizard.folders_label.text() and not wizard.forget_folders_button.isHidden()
    wizard.forget_folders_button.click()
    assert str(mine.resolve()) not in wizard.folders_label.text() and "LM Studio" in wizard.folders_label.text()
    assert wizard.forget_folders_button.isHidden()
    wizard.choose_next.click()
    qtbot.waitUntil(lambda: wizard.model_path is not None or bool(wizard.error_text), timeout=60_000)
    assert not wizard.error_text
    assert "LM Studio's models folder" in wizard.download_status.text() and "nothing was downloaded" in wizard.download_status.text()
    assert hub.state.requests == []
    assert Path(wizard.model_path).samefile(lm_studio / "model-q8.gguf")  # linked into the models folder, not copied
    qtbot.waitUntil(lambda: wizard.measured_speed is not None, timeout=60_000)
    wizard.done_button.click()
    from assistant.ui.models_page import ModelsPage

    page = ModelsPage(_catalog(smollm_path), PROFILES["16 GB laptop (AVX2)"], 8192)
    qtbot.addWidget(page)
    assert page.table.item(0, 5).text() == "yes" and "0.1 GB of it shared with copies in other apps' folders" in page.disk_label.text()
    close_window(window)


def test_slow_machine_is_offered_the_smaller_build(qtbot, hub, smollm_path, tiny_path):
    window = open_window(qtbot, FakeEngine(["word " * 200], token_delay=0.3))
    window.store.set_setting(LICENSE_SETTING, "2026-01-01T00:00:00+00:00")
    wizard = _wizard(qtbot, window, _catalog(smollm_path, tiny_path))
    wizard.speed_seconds = 1.5
    [big_item] = [wizard.build_list.item(i) for i in range(wizard.build_list.count()) if "smollm2" in wizard.build_list.item(i).data(256)]
    wizard.build_list.setCurrentItem(big_item)
    wizard.choose_next.click()
    qtbot.waitUntil(lambda: wizard.measured_speed is not None, timeout=60_000)
    assert wizard.measured_speed < 5
    assert not wizard.smaller_button.isHidden() and "tiny" in wizard.smaller_button.text().lower()
    wizard.smaller_button.click()
    qtbot.waitUntil(lambda: wizard.model_path is not None and wizard.model_path.endswith("tiny.gguf"), timeout=60_000)
    qtbot.waitUntil(lambda: wizard.done_button.isEnabled(), timeout=60_000)
    wizard.reject()
    close_window(window)


def test_models_page_lists_builds_uses_and_deletes_downloaded_files(qtbot, hub, smollm_path, tmp_path):
    from assistant.core.paths import models_dir
    from assistant.ui.models_page import ModelsPage

    catalog = _catalog(smollm_path)
    window = open_window(qtbot, FakeEngine())
    page = ModelsPage(catalog, PROFILES["16 GB laptop (AVX2)"], 8192)
    qtbot.addWidget(page)
    assert page.table.rowCount() == 1 and page.table.item(0, 5).text() == ""
    page.table.selectRow(0)
    assert page.download_button.isEnabled() and not page.use_button.isEnabled()
    target = models_dir() / smollm_path.name
    target.write_bytes(smollm_path.read_bytes())
    page.refresh()
    page.table.selectRow(0)
    assert page.table.item(0, 5).text() == "yes" and page.use_button.isEnabled()
    assert "Model files use 0.1 GB" in page.disk_label.text()
    with qtbot.waitSignal(page.useRequested, timeout=60_000) as used:
        page.use_button.click()
    assert used.args == [str(target)]
    with qtbot.waitSignal(page.deleted, timeout=60_000):
        page.delete_button.click()
    assert not target.exists() and page.table.item(0, 5).text() == ""
    close_window(window)


def test_wizard_recommends_from_the_machine_check_and_recalibrates_after_the_speed_check(qtbot, hub, smollm_path):
    window = open_window(qtbot, FakeEngine(["word " * 200], token_delay=0.05))
    window.store.set_setting(LICENSE_SETTING, "2026-01-01T00:00:00+00:00")
    profile = PROFILES["16 GB laptop (AVX2)"]
    calls: list[bool] = []

    def measure(measured_profile, again: bool) -> MachineCheck:  # runs on the check thread
        calls.append(again)
        return MachineCheck(machine_key(measured_profile), 18e9, 45e9, 1, 2.5, "2026-01-01T00:00:00+00:00")

    wizard = _wizard(qtbot, window, _catalog(smollm_path), measure)
    qtbot.waitUntil(lambda: wizard.check is not None, timeout=60_000)
    assert "measured 18 GB/s" in wizard.check_label.text() and "measured 18 GB/s" in wizard.recommendation.text()
    qtbot.waitUntil(wizard.measure_button.isEnabled, timeout=60_000)
    wizard.measure_button.click()
    qtbot.waitUntil(lambda: calls == [False, True] and wizard.measure_button.isEnabled(), timeout=60_000)
    wizard.speed_seconds = 1.5
    wizard.choose_next.click()
    qtbot.waitUntil(lambda: wizard.measured_speed is not None, timeout=60_000)
    # the fake engine writes ~20 tokens/s where the 135M test model is predicted far faster
    assert "predictions for this computer were adjusted" in wizard.speed_label.text()
    assert cached(profile).calibration < 1
    wizard.reject()
    close_window(window)


def test_builds_that_do_not_fit_the_disk_are_labelled_and_cannot_be_picked(qtbot):
    window = open_window(qtbot, FakeEngine())
    wizard = SetupWizard(window.store, window.bridge, load_catalog(), PROFILES["16 GB laptop, 1.5 GB disk free (Windows)"], window, measure=None)
    qtbot.addWidget(wizard)
    items = {wizard.build_list.item(i).data(256): wizard.build_list.item(i) for i in range(wizard.build_list.count())}
    big = items["llama-3.2-3b-instruct-q4_k_m"]
    assert "not enough disk" in big.text() and not big.flags() & Qt.ItemFlag.ItemIsEnabled
    assert "not enough disk" not in items["llama-3.2-1b-instruct-q4_k_m"].text()
    assert wizard.selected.id.startswith("llama-3.2-1b") and "Speeds are estimated" in wizard.check_label.text()
    wizard.reject()
    close_window(window)


def test_a_too_slow_download_asks_keep_going_or_pause(qtbot, hub, smollm_path, monkeypatch):
    from assistant.core.models.download import transfer

    now = [0.0]

    def trickle() -> float:  # every step of the download takes a minute: far below the slowness limit
        now[0] += 60.0
        return now[0]

    monkeypatch.setattr(transfer, "clock", trickle)
    window = open_window(qtbot, FakeEngine())
    window.store.set_setting(LICENSE_SETTING, "2026-01-01T00:00:00+00:00")
    wizard = _wizard(qtbot, window, _catalog(smollm_path), None)
    wizard.choose_next.click()
    qtbot.waitUntil(lambda: wizard.slow_box.isVisible(), timeout=60_000)
    assert "too slow" in wizard.slow_label.text()
    wizard.slow_keep_button.click()  # keep going: asked again later
    qtbot.waitUntil(lambda: not wizard.slow_box.isHidden() and wizard.slow_asked == 2, timeout=60_000)
    wizard.slow_pause_button.click()
    qtbot.waitUntil(lambda: wizard.resume_button.isEnabled(), timeout=60_000)
    assert wizard.slow_box.isHidden() and "too slow" in wizard.download_status.text()
    wizard.reject()
    close_window(window)
