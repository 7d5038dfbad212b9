"""Device metadata: calibrations of the fake IBM devices (and ``ideal``) and the noise they imply.

The lowest layer but two: may import :mod:`qhost.config` and :mod:`qhost.errors` only; the catalog and
every executor read it.
"""

from __future__ import annotations

from qhost.devices.device import IDEAL, NOISE_CACHE_SIZE, Device, fake_device_classes, load_json

__all__ = ["IDEAL", "NOISE_CACHE_SIZE", "Device", "fake_device_classes", "load_json"]
