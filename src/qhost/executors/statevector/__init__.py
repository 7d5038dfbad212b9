"""The simulator-agnostic statevector pipeline: ops, lowering, fusion, gate matrices, trajectories, PUB loops.

Backend-neutral (a state object supplied by the caller applies the ops), so CPU CI verifies all of it
against a numpy reference. Never a GPU package.

May import: qhost.executors, qhost.devices, qhost.errors.
"""
