"""Helpers shared by the tests: test servers (hub, Radicale, a misbehaving model server), the
in-memory keyring, child processes, TLS certificates, hardware profiles, speech fixtures, Qt helpers."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout
TEST_DATA = ROOT / "tests" / "data"
