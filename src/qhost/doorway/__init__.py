"""What every front door shares, with no web framework: who may come in and who they are (``keys``:
``KeyRing``, HMAC owner ids, ``key_matches``; ``auth``: the ``Authenticator`` of keys and tokens), how often a
failed login may be retried (``throttle``), how many long-polls are held at once (``holds``), and the
access-log line (``log``).

The Flask door (``qhost.server``) and the Thrift door (``qhost.thrift``) both import it; it imports no door.

May import: qhost.store, qhost.jobs, qhost.config, qhost.errors.
"""
