"""The device list cached per install: equal to what importing the fake provider finds, read back from
disk without that import, rebuilt when the library versions change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qhost.devices import calibration as cal_mod
from qhost.devices import fake_device_classes, index
from qhost.devices.calibration import set_cache_dir


@pytest.fixture
def cache(tmp_path: Path):  # type: ignore[no-untyped-def]
    set_cache_dir(tmp_path)
    yield tmp_path
    set_cache_dir(None)


def test_device_sizes_match_the_fake_provider_and_are_cached(cache: Path) -> None:
    sizes = index.device_sizes.__wrapped__()
    assert list(sizes) == list(fake_device_classes())
    assert sizes["fake_manila"] == 5 and sizes["fake_fez"] == 156
    stored = json.loads((cache / "devices.json").read_text())
    assert stored["devices"] == sizes and stored["versions"] == cal_mod.library_versions()


def test_cached_device_list_is_read_without_rebuilding(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index.device_sizes.__wrapped__()
    monkeypatch.setattr(index, "_build", lambda: pytest.fail("rebuilt although the cache is current"))
    assert index.device_sizes.__wrapped__()["fake_sherbrooke"] == 127


def test_version_change_rebuilds_the_device_list(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (cache / "devices.json").write_text(json.dumps({"versions": {"format": "0"}, "devices": {"fake_x": 1}}))
    assert "fake_x" not in index.device_sizes.__wrapped__()
    assert "fake_x" not in json.loads((cache / "devices.json").read_text())["devices"]
