"""Counts-only simulators behind one base: MQT DDSIM, Stim, Qulacs (the ``sims`` extra).

Each simulator package is imported only when its executor runs.

May import: qhost.executors, qhost.devices, qhost.errors.
"""
