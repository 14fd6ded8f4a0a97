"""Make the screenshots of the street's 考核 report and the 实时/设备 page (headless Debian Chromium).

Six halls push a simulated week (staff signed in, most follow-ups finished, some late) to a real centre
on loopback; their kiosks send heartbeats (one printer out of paper for 25 minutes, one silent keypad,
one kiosk with a low disk); Chromium photographs:

    docs/screenshots/centre/report-week.png        /report/2026-W48 (desktop)
    docs/screenshots/centre/report-week-phone.png  the same at a phone's width (one column)
    docs/screenshots/centre/report-hall.png        one hall's week: windows and staff ranked
    docs/screenshots/centre/devices.png            /devices: a line per hall, the alert list
    docs/screenshots/centre/night-phone.png        the street's night page at a phone's width
    docs/screenshots/centre/devices-phone.png      /devices at a phone's width

    .venv/bin/python scripts/report_screenshots.py
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


from centre_reports import _updates, completions  # noqa: E402  (the bench's follow-up completions)

from kiosk.db.database import Database  # noqa: E402
from sync import signing  # noqa: E402
from sync.client.heartbeat import send  # noqa: E402
from sync.client.kiosk_source import KioskOutboxSource  # noqa: E402
from sync.client.pusher import Pusher  # noqa: E402
from sync.client.session import SignedClient  # noqa: E402
from sync.contract.heartbeat import Heartbeat  # noqa: E402
from tests.sync_simulate import hall_day  # noqa: E402
from tests.sync_support import fill_outbox, running_centre  # noqa: E402

WEEK = [dt.date(2026, 11, 23) + dt.timedelta(days=i) for i in range(5)]
HALLS = ["柏杨社区", "城中社区", "马镇坝社区", "东风社区", "双阳社区", "新桥社区"]
OUT = ROOT / "docs" / "screenshots" / "centre"


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("chromium not found: apt-get install chromium")


def shoot(url: str, out: Path, size: str) -> None:
    profile = tempfile.mkdtemp()
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={out}", f"--window-size={size}", url]  # fmt: skip
    subprocess.run(cmd, check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(profile, ignore_errors=True)
    print(out)


def heartbeat(i: int, now: dt.datetime) -> Heartbeat:
    printer: dict[str, object] = {"state": "ok"}
    if i == 1:
        printer = {"state": "paper_out", "since": (now - dt.timedelta(minutes=25)).isoformat()}
    doc = {
        "device_time": now.isoformat(),
        "business_date": now.date().isoformat(),
        "open": i != 5,
        "waiting": {"SB01": 3 + i, "MZ01": i % 3},
        "windows": [{"number": w, "status": "paused" if w == 2 and i == 3 else "open"} for w in range(1, 5)],
        "printer": printer,
        "keypads": [{"bus": "counter", "state": "ok", "silent": [3] if i == 2 else []}],
        "outbox_backlog": 0 if i != 4 else 37,
        "disk_free_mb": 512 if i == 4 else 18000,
        "software_version": "0.1.0",
        "config_version": "12",
    }
    return Heartbeat.model_validate_json(json.dumps(doc))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, running_centre(f"sqlite:///{tmp}/centre.db") as centre:
        for i, name in enumerate(HALLS):
            kiosk, hall = f"K{i + 1:02d}", f"H{i + 1:02d}"
            db = Database(Path(tmp) / f"{kiosk}.db")
            events, seq, pending = [], 1, []
            rng = random.Random(i)
            for day in WEEK:  # follow-ups staff finished by this day go with its first push
                done = _updates(kiosk, hall, day, [s for d, s in pending if d <= day], seq)
                pending = [(d, s) for d, s in pending if d > day]
                seq += len(done)
                evs = hall_day(
                    hall, kiosk, day, tickets=120 + 30 * i, windows=4, seed=i, start_seq=seq, staff=True
                )
                seq += len(evs)
                pending += completions(evs, rng)
                events += done + evs
            fill_outbox(db, events)
            settings = centre.enrol(kiosk, hall, tmp, hall_name=name)
            client = SignedClient(settings, signing.KioskKey.load(settings.key_file))
            Pusher(KioskOutboxSource(db), client).push_all()
            send(client, heartbeat(i, dt.datetime.now(dt.UTC)))
            db.close()
        shoot(f"{centre.url}/report/2026-W48", OUT / "report-week.png", "1400,2300")
        shoot(f"{centre.url}/report/2026-W48", OUT / "report-week-phone.png", "390,2400")
        shoot(f"{centre.url}/report/2026-W48/hall/H01", OUT / "report-hall.png", "1400,2300")
        shoot(f"{centre.url}/devices", OUT / "devices.png", "1500,900")
        shoot(f"{centre.url}/summary/{WEEK[-1]}", OUT / "night-phone.png", "390,2600")
        shoot(f"{centre.url}/devices", OUT / "devices-phone.png", "390,1100")


if __name__ == "__main__":
    main()
