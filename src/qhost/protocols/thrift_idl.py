"""qhost's Thrift IDL (``qhost.thrift`` beside this module, shipped as package data) and the code generated
from it (``qhost.protocols.thrift_gen``, by ``scripts/gen_thrift.sh``): the wire both the Thrift door
(``qhost.thrift``) and its client (``qhost.client.thrift_client``) speak, so neither imports the other.

The ``thrift`` package is optional (``pip install -e '.[thrift]'``); ``require_thrift`` names the install
command when it is missing.
"""

from __future__ import annotations

from importlib import resources

from qhost.errors import ConfigurationError

__all__ = ["IDL_FILE", "idl_text", "require_thrift"]

IDL_FILE = "qhost.thrift"
"""File name of the IDL inside ``qhost.protocols``."""


def idl_text() -> str:
    """The IDL the generated code was built from (shipped as package data)."""
    return resources.files("qhost.protocols").joinpath(IDL_FILE).read_text(encoding="utf-8")


def require_thrift() -> None:
    """Raise ``ConfigurationError`` with the install command when the ``thrift`` package is missing."""
    try:
        import thrift  # noqa: F401
    except ImportError:
        raise ConfigurationError(
            "The Thrift door needs the 'thrift' package; install it with pip install -e '.[thrift]'"
        ) from None
