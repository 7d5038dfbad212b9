"""Device metadata: calibrations of the fake IBM devices (and ``ideal``) and the noise they imply.

The catalog and every executor read it.

May import: qhost.config, qhost.errors.
"""

from __future__ import annotations

from qhost.devices.device import IDEAL, NOISE_CACHE_SIZE, Device, fake_device_classes, load_json

__all__ = ["IDEAL", "NOISE_CACHE_SIZE", "Device", "fake_device_classes", "load_json"]
