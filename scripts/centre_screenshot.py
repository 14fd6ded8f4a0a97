"""Make docs/centre-summary.png: a street of six halls syncs to a real centre, staff record some
follow-ups, and headless Chromium photographs the night's summary page.

    .venv/bin/python scripts/centre_screenshot.py [--out docs/centre-summary.png] [--hall H02] [--staff NAME]

With --staff the page is fetched as the proxy would pass it for a logged-in staff member, so each open
回访/整改 shows its result form (docs/centre-followup-form.png is `--hall H03 --staff wangfang`).

Everything runs on loopback: the centre (uvicorn), the kiosks' sync client, Chromium.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import select  # noqa: E402

from kiosk.db.database import Database  # noqa: E402
from sync import signing  # noqa: E402
from sync.centre import followups, models  # noqa: E402
from sync.client.kiosk_source import KioskOutboxSource  # noqa: E402
from sync.client.pusher import Pusher  # noqa: E402
from sync.client.session import SignedClient  # noqa: E402
from tests.sync_simulate import hall_day  # noqa: E402
from tests.sync_support import fill_outbox, running_centre  # noqa: E402

DAY = date(2026, 11, 25)
HALLS = ["柏杨社区", "城中社区", "马镇坝社区", "东风社区", "双阳社区", "新桥社区"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("chromium not found: apt-get install chromium")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default=str(ROOT / "docs" / "centre-summary.png"))
    p.add_argument("--hall", help="photograph this hall's page instead of the street's")
    p.add_argument("--staff", help="as this logged-in staff member (the proxy's X-Remote-User): with forms")
    args = p.parse_args()
    rng = random.Random(4)
    with tempfile.TemporaryDirectory() as tmp, running_centre(f"sqlite:///{tmp}/centre.db") as centre:
        for i, name in enumerate(HALLS):
            kiosk, hall = f"K{i + 1:02d}", f"H{i + 1:02d}"
            db = Database(Path(tmp) / f"{kiosk}.db")
            # 双阳社区's kiosk lost its network before the nightly close: its 日结 never arrives
            fill_outbox(
                db, hall_day(hall, kiosk, DAY, tickets=140 + 35 * i, windows=4 + i % 3, seed=21, close=i != 4)
            )
            settings = centre.enrol(kiosk, hall, tmp, hall_name=name)
            Pusher(
                KioskOutboxSource(db), SignedClient(settings, signing.KioskKey.load(settings.key_file))
            ).push_all()
            db.close()
        now = datetime.now(UTC)
        with centre.engine.begin() as conn:
            rows = conn.execute(
                select(models.Followup.hall_id, models.Followup.id, models.Followup.kind)
            ).all()
            for hall, fid, kind in rows:
                if kind == "callback" and rng.random() < 0.7:
                    followups.record(
                        conn, hall, fid, "callback", "已电话回访，居民接受解释", "街道督查组", now
                    )
                elif kind == "rectification" and rng.random() < 0.2:
                    followups.record(
                        conn, hall, fid, "rectification", "窗口已整改：增设材料清单", "街道督查组", now
                    )
        url = f"{centre.url}/summary/{DAY.isoformat()}" + (f"/hall/{args.hall}" if args.hall else "")
        if args.staff:  # Chromium cannot add a header: fetch the page as the proxy passes it, show the file
            page = requests.get(url, headers={"X-Remote-User": args.staff}, timeout=60)
            page.raise_for_status()
            saved = Path(tmp) / "page.html"
            saved.write_text(page.text, encoding="utf-8")
            url = saved.as_uri()
        profile = tempfile.mkdtemp()
        cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", f"--screenshot={args.out}", "--window-size=1400,2000", url]  # fmt: skip
        subprocess.run(cmd, check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(profile, ignore_errors=True)
    print(args.out)


if __name__ == "__main__":
    main()
