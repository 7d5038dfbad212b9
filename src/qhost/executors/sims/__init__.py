"""Counts-only simulators behind one base: MQT DDSIM, Stim, Qulacs (the ``sims`` extra).

May import the executor contract, :mod:`qhost.devices` and :mod:`qhost.errors`; each simulator package is
imported only when its executor runs.
"""
