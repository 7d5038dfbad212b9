"""``.npy`` payloads: the declared shape checked against the bytes present, before ``np.load`` allocates.

``np.load`` of a file-like object allocates ``prod(shape) * itemsize`` bytes from the header's claim and
only then reads the data, so a 100-byte payload claiming shape ``(10**12,)`` asks for terabytes.
``check_npy_sizes`` reads the header (``numpy.lib.format``) and refuses a claim the payload cannot hold.
"""

from __future__ import annotations

import io
import math

from numpy.lib import format as npy_format

from qhost.errors import InputError

__all__ = ["check_npy_sizes"]

_MAX_HEADER = 10_000


def check_npy_sizes(raw: bytes, what: str = "ndarray") -> None:
    """Refuse an ``.npy`` payload whose header declares more data than follows it (``InputError``)."""
    handle = io.BytesIO(raw)
    try:
        major, _minor = npy_format.read_magic(handle)
        reader = npy_format.read_array_header_1_0 if major == 1 else npy_format.read_array_header_2_0
        shape, _fortran, dtype = reader(handle, max_header_size=_MAX_HEADER)
    except Exception as exc:  # numpy raises ValueError on a bad magic or header
        raise InputError(f"Broken {what} payload: {type(exc).__name__}: {exc}") from None
    needed = math.prod(shape) * dtype.itemsize
    present = len(raw) - handle.tell()
    if needed > present:
        raise InputError(
            f"Broken {what} payload: its header declares shape {shape} of {dtype} ({needed:,} bytes) "
            f"but only {present:,} bytes follow"
        )
