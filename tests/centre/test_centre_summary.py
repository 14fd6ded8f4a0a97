"""The centre's nightly figures equal the kiosk's 日结 exactly; the pages, CSV and CLI show them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path

import requests
from sqlalchemy import select, update

from kiosk.config.schema import HallConfig
from kiosk.db.database import Database
from kiosk.engine.clock import ManualClock
from kiosk.engine.engine import QueueEngine
from kiosk.engine.errors import DomainError
from sync import signing
from sync.centre import cli, figures, models
from sync.client.kiosk_source import KioskOutboxSource
from sync.client.pusher import Pusher
from sync.client.session import SignedClient
from tests.sync_simulate import hall_day
from tests.sync_support import RunningCentre, fill_outbox

MORNING = dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC)  # 09:30 Shanghai, a Thursday
DAY = dt.date(2026, 11, 26)


def run_kiosk_day(config: HallConfig, db: Database, seed: int = 5) -> QueueEngine:
    """Drive the real queue engine through a busy morning: every operation staff and residents do."""
    rng = random.Random(seed)
    clock = ManualClock(MORNING)
    engine = QueueEngine(config, db, clock, kiosk_id="K01")
    services = sorted({s for w in config.windows for s in w.services})
    for _ in range(45):
        engine.issue(rng.choice(services), priority="elderly" if rng.random() < 0.1 else None)
        clock.advance(rng.uniform(20, 90))
    for _ in range(80):
        window = rng.choice(config.windows).number
        try:
            engine.call_next(window)
        except DomainError:
            continue
        clock.advance(rng.uniform(10, 60))
        roll = rng.random()
        if roll < 0.08:
            engine.recall(window)
            clock.advance(60)
            engine.no_show(window)
            continue
        engine.start(window)
        clock.advance(rng.uniform(120, 900))
        outcome = rng.choice(["completed"] * 6 + ["materials_incomplete", "promised", "referred"])
        try:
            engine.finish(window, outcome, ["户口簿原件"] if outcome == "materials_incomplete" else None)
        except DomainError:
            engine.finish(window)
        clock.advance(rng.uniform(2, 20))
        if rng.random() < 0.85:
            engine.rate(window, rng.choice([1, 1, 1, 2, 2, 3, 4, 5]))
            if rng.random() < 0.1:
                engine.press_rating_level(window, 1)  # a second press: ignored and counted
        clock.advance(rng.uniform(30, 240))
    engine.expire_rating_slots()
    clock.set(dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC))  # 18:00 local
    engine.close_day()
    return engine


def push(centre: RunningCentre, db: Database, hall: str, tmp_path: Path, kiosk: str = "K01") -> None:
    settings = centre.enrol(kiosk, hall, str(tmp_path), hall_name="柏杨社区")
    client = SignedClient(settings, signing.KioskKey.load(settings.key_file))
    Pusher(KioskOutboxSource(db), client, 64).push_all()


def test_kiosk_day_close_and_centre_agree_exactly(
    centre: RunningCentre, sample_config: HallConfig, kiosk_db: Database, tmp_path: Path
) -> None:
    engine = run_kiosk_day(sample_config, kiosk_db)
    kiosk = engine.summary(DAY)
    assert kiosk.hall.finished > 10 and kiosk.hall.rated > 5  # a real day, not an empty one
    push(centre, kiosk_db, sample_config.hall_id, tmp_path)
    with centre.engine.connect() as conn:
        at_centre = figures.hall_summary(conn, sample_config.hall_id, DAY, as_of=DAY)
    assert at_centre.figures_dict() == kiosk.figures_dict()
    assert at_centre.to_dict() == kiosk.to_dict()
    page = requests.get(f"{centre.url}/summary/{DAY}/hall/{sample_config.hall_id}", timeout=30)
    assert page.status_code == 200 and "柏杨社区" in page.text
    assert "城乡居民养老保险参保登记" in page.text, "services by the name residents saw, not their code"
    # a kiosk that sends its 日结 figures with day.closed gets them checked against the centre's
    with centre.engine.connect() as conn:
        close = conn.execute(select(models.DayClose.data)).scalar_one()
        # the kiosk's day.closed carries its 日结 figures, and they match the centre's
        assert figures.compare_with_kiosk(at_centre, close) is True
        assert (
            figures.compare_with_kiosk(at_centre, {k: v for k, v in close.items() if k != "figures"}) is None
        )
        sent = json.loads(json.dumps(kiosk.figures_dict()))
        assert figures.compare_with_kiosk(at_centre, {**close, "figures": sent}) is True
        sent["hall"]["finished"] += 1
        assert figures.compare_with_kiosk(at_centre, {**close, "figures": sent}) is False


def _street(centre: RunningCentre, tmp_path: Path) -> list[Database]:
    dbs = []
    for i, closed in enumerate([True, True, False]):
        db = Database(tmp_path / f"k{i}.db")
        fill_outbox(db, hall_day(f"H{i}", f"K{i}", DAY, tickets=40, seed=i, close=closed))
        settings = centre.enrol(f"K{i}", f"H{i}", str(tmp_path), hall_name=f"社区{i}")
        Pusher(
            KioskOutboxSource(db), SignedClient(settings, signing.KioskKey.load(settings.key_file))
        ).push_all()
        dbs.append(db)
    return dbs


def test_street_page_csv_and_followups(centre: RunningCentre, tmp_path: Path) -> None:
    dbs = _street(centre, tmp_path)
    with centre.engine.begin() as conn:  # H1's kiosk clock runs ten minutes fast
        conn.execute(
            update(models.Kiosk).where(models.Kiosk.kiosk_id == "K1").values(last_skew_seconds=-600.0)
        )
    html = requests.get(f"{centre.url}/summary/{DAY}", timeout=30)
    assert "时钟偏差 +10 分" in html.text
    assert html.status_code == 200
    assert "未同步日结：社区2" in html.text  # the hall whose 日结 never arrived is named
    assert html.text.count("<svg") >= 4
    for i in range(3):
        assert f"/summary/{DAY}/hall/H{i}" in html.text
    rows = list(
        csv.DictReader(
            io.StringIO(requests.get(f"{centre.url}/summary/{DAY}.csv", timeout=30).text.lstrip("\ufeff"))
        )
    )
    halls = {r["hall_id"]: r for r in rows if r["level"] == "hall"}
    street = next(r for r in rows if r["level"] == "street")
    assert int(street["issued"]) == sum(int(h["issued"]) for h in halls.values()) == 120
    assert halls["H2"]["synced"] == "no" and halls["H0"]["synced"] == "yes"
    with centre.engine.connect() as conn:
        night = figures.street_night(conn, DAY, as_of=DAY)
    h0 = next(h for h in night.halls if h.hall_id == "H0")
    assert int(halls["H0"]["finished"]) == h0.figures.finished
    bad = next(h for h in night.halls if h.dissatisfied)
    callback = next(v for v in bad.dissatisfied[0]["followups"] if v.data["kind"] == "callback")
    assert not callback.done
    # centre staff record the callback; the kiosk's snapshot stays as sent, the page shows it done
    db_url = centre.settings.database_url
    argv = ["--database-url", db_url] + (
        ["--db-schema", centre.settings.db_schema] if centre.settings.db_schema else []
    )
    assert cli.main([*argv, "followup", "--hall", bad.hall_id, "--id", callback.data["id"], "--action", "callback",
                     "--result", "已电话回访，居民表示理解", "--by", "王芳"]) == 0  # fmt: skip
    fus = requests.get(f"{centre.url}/summary/{DAY}/followups.csv", timeout=30).text
    assert "已电话回访，居民表示理解" in fus
    assert cli.main([*argv, "followup", "--hall", "H9", "--id", callback.data["id"], "--action", "callback",
                     "--result", "x", "--by", "y"]) == 2  # another hall's follow-up is not found  # fmt: skip
    out = tmp_path / "out"
    assert cli.main([*argv, "summary", "--date", DAY.isoformat(), "--out", str(out)]) == 0
    assert (out / f"street-{DAY}.html").exists() and (out / f"hall-H1-{DAY}.html").exists()
    assert (out / f"street-{DAY}.csv").read_text(encoding="utf-8-sig").startswith("business_date,level")
    for db in dbs:
        db.close()


def _results(centre: RunningCentre) -> list[tuple[str, str, str, bool]]:
    with centre.engine.connect() as conn:
        return [
            (r.followup_id, r.action, r.result, r.done)
            for r in conn.execute(select(models.FollowupResult).order_by(models.FollowupResult.id))
        ]


def test_staff_record_a_callback_on_the_page(centre: RunningCentre, tmp_path: Path) -> None:
    """Behind the proxy's login (it names the user in X-Remote-User) each open 回访/整改 has a form."""
    dbs = _street(centre, tmp_path)
    with centre.engine.connect() as conn:
        night = figures.street_night(conn, DAY, as_of=DAY)
    bad = next(h for h in night.halls if h.dissatisfied)
    fu = next(v for v in bad.dissatisfied[0]["followups"] if v.data["kind"] == "callback")
    page = f"{centre.url}/summary/{DAY}/hall/{bad.hall_id}"
    action = f"/summary/{DAY}/followups/{bad.hall_id}/{fu.data['id']}"
    staff = {"X-Remote-User": "wangfang", "Origin": centre.url, "Referer": page}

    assert action not in requests.get(page, timeout=30).text  # no login named: read-only
    shown = requests.get(page, headers={"X-Remote-User": "wangfang"}, timeout=30).text
    assert f"action='{action}'" in shown and "在下方填写结果" in shown

    def post(headers: dict[str, str], **form: str) -> requests.Response:
        return requests.post(
            centre.url + action, data=form, headers=headers, timeout=30, allow_redirects=False
        )

    ok = {"action": "callback", "result": "已电话回访，居民表示理解", "done": "1"}
    assert post({"Origin": centre.url}, **ok).status_code == 403  # nobody logged in
    assert (
        post({**staff, "Origin": "http://evil.example", "Referer": "http://evil.example/"}, **ok).status_code
        == 403
    )
    assert post(staff, action="callback", result="  ").status_code == 422
    assert post(staff, action="delete", result="x").status_code == 422
    assert post(staff, action="callback", result="x" * 501).status_code == 422
    missing = f"{centre.url}/summary/{DAY}/followups/H9/{fu.data['id']}"
    assert requests.post(missing, data=ok, headers=staff, timeout=30).status_code == 404  # not H9's
    assert _results(centre) == []  # nothing refused was stored

    done = post(staff, **ok)
    assert done.status_code == 303 and done.headers["location"] == f"/summary/{DAY}/hall/{bad.hall_id}"
    assert _results(centre) == [(fu.data["id"], "callback", "已电话回访，居民表示理解", True)]
    with centre.engine.connect() as conn:
        assert conn.execute(select(models.FollowupResult.recorded_by)).scalar() == "wangfang"
    after = requests.get(page, headers={"X-Remote-User": "wangfang"}, timeout=30).text
    assert "已电话回访，居民表示理解" in after and f"action='{action}'" not in after  # done: no form
    for db in dbs:
        db.close()


def test_unknown_pages(centre: RunningCentre) -> None:
    assert requests.get(f"{centre.url}/summary/yesterday", timeout=10).status_code == 404
    assert requests.get(f"{centre.url}/summary/{DAY}/hall/nowhere", timeout=10).status_code == 404
    empty = requests.get(f"{centre.url}/summary/{DAY}", timeout=10)
    assert empty.status_code == 200 and "街道公共服务中心" in empty.text
