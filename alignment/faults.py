"""Fault injection for the crash tests of ``alignment refresh``; does nothing unless asked.

Set ``ALIGNMENT_FAULT=<point>:<action>`` in the environment of a refresh to stop it at a named
point, as a power cut or ``kill -9`` would:

- points: ``after-download`` (files fetched, nothing built), ``during-build`` (the new store file
  half written), ``before-swap`` (new store complete and synced, not yet renamed),
  ``after-swap`` (renamed, status not yet written);
- actions: ``kill`` sends SIGKILL to the process itself; ``pause`` writes the process id to the
  file named by ``ALIGNMENT_FAULT_MARKER`` (if set) and sleeps up to five minutes, so that a
  test can kill it from outside, or run a second refresh against the held lock.

Production code calls :func:`fault_point` at those places; with the variable unset it is one
dictionary lookup.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

PAUSE_SECONDS = 300.0

LOG = logging.getLogger("alignment.faults")


def fault_point(name: str) -> None:
    """Kill or pause the process here if ``ALIGNMENT_FAULT`` names this point."""
    spec = os.environ.get("ALIGNMENT_FAULT")
    if not spec:
        return
    point, _, action = spec.partition(":")
    if point != name:
        return
    action = action or "kill"
    LOG.warning("fault injection: %s at %s (ALIGNMENT_FAULT=%s)", action, name, spec)
    marker = os.environ.get("ALIGNMENT_FAULT_MARKER")
    if marker:
        tmp = Path(marker + ".tmp")
        tmp.write_text(f"{os.getpid()} {name}\n")
        os.replace(tmp, marker)
    if action == "pause":
        time.sleep(PAUSE_SECONDS)
        return
    os.kill(os.getpid(), signal.SIGKILL)
