"""The street's leaders read the pages on a phone: at 390 px wide, in Debian's chromium (Playwright with
``executable_path``, nothing downloaded), the night pages, the period reports and the device page reflow
to one column and never scroll sideways (a wide table scrolls inside its own section)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from kiosk.db.database import Database
from sync import signing
from sync.centre import day_store
from sync.client.heartbeat import send
from sync.client.kiosk_source import KioskOutboxSource
from sync.client.pusher import Pusher
from sync.client.session import SignedClient
from sync.contract.heartbeat import Heartbeat
from tests.board.support import CHROMIUM, CHROMIUM_ARGS
from tests.sync_simulate import hall_day
from tests.sync_support import fill_outbox, running_centre

DAYS = [dt.date(2026, 11, 23) + dt.timedelta(days=i) for i in range(3)]
PHONE = {"width": 390, "height": 844}
PAGES = [
    f"/summary/{DAYS[-1]}",
    f"/summary/{DAYS[-1]}/hall/H01",
    "/report/2026-W48",
    "/report/2026-W48/hall/H01",
    "/report/2026-W48/hall/H01/window/1",
    "/devices",
]


def heartbeat(printer: str) -> Heartbeat:
    now = dt.datetime.now(dt.UTC)
    return Heartbeat.model_validate_json(
        json.dumps(
            {
                "device_time": now.isoformat(),
                "business_date": now.date().isoformat(),
                "open": True,
                "waiting": {"SB01": 4},
                "windows": [{"number": 1, "status": "open"}, {"number": 2, "status": "paused"}],
                "printer": {"state": printer, "since": (now - dt.timedelta(minutes=25)).isoformat()},
                "keypads": [{"bus": "counter", "state": "ok", "silent": [2]}],
                "outbox_backlog": 0,
                "disk_free_mb": 18000,
                "software_version": "0.1.0",
                "config_version": "12",
            }
        )
    )


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Two halls with staff signed in push three days (the longest names of the sample) and a heartbeat."""
    tmp = tmp_path_factory.mktemp("phone")
    with running_centre(f"sqlite:///{tmp}/centre.db") as centre:
        for i, name in enumerate(["柏杨街道双阳社区便民服务中心", "马镇坝社区"]):
            kiosk, hall = f"K{i + 1:02d}", f"H{i + 1:02d}"
            events, seq = [], 1
            for day in DAYS:
                evs = hall_day(hall, kiosk, day, tickets=60, windows=4, seed=i, start_seq=seq, staff=True)
                seq += len(evs)
                events += evs
            db = Database(tmp / f"{kiosk}.db")
            fill_outbox(db, events)
            settings = centre.enrol(kiosk, hall, str(tmp), hall_name=name)
            client = SignedClient(settings, signing.KioskKey.load(settings.key_file))
            Pusher(KioskOutboxSource(db), client).push_all()
            send(client, heartbeat("paper_out" if i == 0 else "ok"))
            db.close()
        with centre.engine.begin() as conn:  # as the server's refresher does within seconds
            day_store.refresh_dirty(conn)
        yield centre.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


LAYOUT = """() => {
  const boxes = [...document.querySelectorAll('main section, main .charts, main .cards, main form')]
    .map(e => e.getBoundingClientRect());
  return {
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
    sections: document.querySelectorAll('main section').length,
    lefts: [...new Set([...document.querySelectorAll('main section')]
      .map(s => Math.round(s.getBoundingClientRect().left)))],
    widest: Math.max(...boxes.filter(b => b.width > 0).map(b => b.right)),
  };
}"""


@pytest.mark.parametrize("path", PAGES)
def test_on_a_phone_the_page_is_one_column_without_sideways_scroll(
    browser: Browser, street: str, path: str
) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        assert page.goto(street + path).status == 200  # type: ignore[union-attr]
        layout = page.evaluate(LAYOUT)
    finally:
        context.close()
    assert layout["sections"] >= 1, layout  # the page's own content was built
    assert layout["scrollWidth"] <= layout["innerWidth"], layout
    assert len(layout["lefts"]) == 1, layout  # every section starts at the same left edge: one column
    assert layout["widest"] <= layout["innerWidth"], layout  # none sticks out past the screen


def test_at_desktop_width_the_night_page_keeps_its_columns(browser: Browser, street: str) -> None:
    """The check above can tell: a desktop window shows the night's charts side by side."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{street}/summary/{DAYS[-1]}")
        layout = page.evaluate(LAYOUT)
    finally:
        context.close()
    assert len(layout["lefts"]) > 1, layout
