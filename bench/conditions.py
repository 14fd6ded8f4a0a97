"""What a benchmark ran on, stated beside its figures: the machine may be shared, and the disk under
the database decides what an fsync costs.

    cond = Conditions(db_dir)      # at the start of the timed part
    ...
    result["conditions"] = cond.finish()

``other_load_cores`` is the CPU the rest of the machine used meanwhile (all cores' busy time from
/proc/stat, less this process and its reaped children), in cores: 0 on an idle machine, near the core
count when something else kept it busy. Linux only; elsewhere the fields are None.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _busy_seconds() -> float | None:
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:9]]
    except OSError:
        return None
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def filesystem_of(path: Path) -> dict[str, str | None]:
    """The mount that holds ``path``: its type (ext4, tmpfs, overlay…) and device."""
    best: tuple[str, str, str] | None = None
    resolved = str(path.resolve())
    try:
        with open("/proc/mounts") as f:
            for line in f:
                device, mount, fstype = line.split()[:3]
                if (resolved == mount or resolved.startswith(mount.rstrip("/") + "/")) and (
                    best is None or len(mount) > len(best[1])
                ):
                    best = (device, mount, fstype)
    except OSError:
        pass
    return {
        "path": resolved,
        "fstype": best[2] if best else None,
        "mount": best[1] if best else None,
        "device": best[0] if best else None,
    }


class Conditions:
    def __init__(self, db_dir: Path | None = None):
        self.db_dir = db_dir
        self.wall = time.monotonic()
        self.busy = _busy_seconds()
        self.own = _own_seconds()
        self.load_before = os.getloadavg()

    def finish(self, **notes: Any) -> dict[str, Any]:
        wall = time.monotonic() - self.wall
        busy = _busy_seconds()
        other = None
        if busy is not None and self.busy is not None and wall > 0:
            other = round(max(0.0, (busy - self.busy) - (_own_seconds() - self.own)) / wall, 2)
        return {
            "cores": os.cpu_count(),
            "other_load_cores": other,
            "loadavg_1m_before_after": [round(self.load_before[0], 2), round(os.getloadavg()[0], 2)],
            "seconds": round(wall, 1),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "database_dir": filesystem_of(self.db_dir) if self.db_dir else None,
            **notes,
        }


@contextlib.contextmanager
def data_dir(given: Path | None, prefix: str) -> Iterator[Path]:
    """``--dir`` if given (created, kept), else a fresh temporary directory (removed)."""
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


def summary(samples: list[float]) -> dict[str, float | int]:
    """Count, median, p90, p99 (nearest rank) and max of ``samples`` in ms, rounded."""
    ordered = sorted(samples)
    if not ordered:
        return {"n": 0}

    def rank(q: float) -> float:
        return ordered[max(1, math.ceil(q * len(ordered))) - 1]

    return {
        "n": len(ordered),
        "p50": round(rank(0.50), 2),
        "p90": round(rank(0.90), 2),
        "p99": round(rank(0.99), 2),
        "max": round(ordered[-1], 2),
    }
