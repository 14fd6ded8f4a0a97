"""The centre compares a kiosk's 日结 figures on the figures the kiosk's ``figures_version`` knew: a new
figure at the centre does not mark a kiosk not yet upgraded 「核对不一致」, a real difference still does."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

from sync.centre.figures import compare_with_kiosk
from sync.contract.figures import (
    FIGURE_SINCE,
    FIGURES_VERSION,
    DayRecords,
    compute_summary,
    figures_agree,
    figures_as_of,
)

DAY = dt.date(2026, 11, 26)
T0 = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)


def records() -> DayRecords:
    at = lambda minutes: (T0 + dt.timedelta(minutes=minutes)).isoformat()  # noqa: E731
    return DayRecords.from_snapshots(
        tickets=[
            {"id": "t1", "number": "A001", "service_code": "s", "issued_at": at(0), "status": "finished"},
            {"id": "t2", "number": "A002", "service_code": "s", "issued_at": at(1), "status": "no_show"},
        ],
        handlings=[
            {
                "id": "h1",
                "ticket_id": "t1",
                "window_number": 1,
                "service_code": "s",
                "called_at": at(5),
                "started_at": at(6),
                "finished_at": at(16),
                "outcome": "completed",
            },
            {
                "id": "h2",
                "ticket_id": "t2",
                "window_number": 1,
                "service_code": "s",
                "called_at": at(17),
                "finished_at": at(20),
                "outcome": "no_show",
            },
        ],
        ratings=[
            {
                "id": "r1",
                "handling_id": "h1",
                "ticket_id": "t1",
                "window_number": 1,
                "service_code": "s",
                "status": "rated",
                "level": 1,
                "satisfied": True,
                "dissatisfied": False,
                "rated_at": at(17),
            },
        ],
    )


def kiosk_figures() -> dict[str, Any]:
    """What a kiosk at today's version sends: the figures of the same records, through JSON."""
    return json.loads(json.dumps(compute_summary(records(), "h", DAY).figures_dict()))


def centre_one_version_ahead() -> tuple[dict[str, Any], dict[str, int]]:
    """The centre after a new figure (per hall, window and service) was added in the next version."""
    ours = kiosk_figures()
    for f in [ours["hall"], *ours["windows"].values(), *ours["services"].values()]:
        f["reprints"] = 2
    return ours, {**FIGURE_SINCE, "reprints": FIGURES_VERSION + 1}


def test_a_kiosk_one_figures_version_behind_is_compared_on_the_figures_it_knows() -> None:
    ours, since = centre_one_version_ahead()
    theirs = kiosk_figures()
    assert ours != theirs  # compared as a whole, the old kiosk would read 「核对不一致」
    assert figures_agree(ours, theirs, FIGURES_VERSION, version=FIGURES_VERSION + 1, since=since)


def test_a_real_difference_from_a_kiosk_one_version_behind_still_disagrees() -> None:
    ours, since = centre_one_version_ahead()
    theirs = kiosk_figures()
    theirs["hall"]["finished"] += 1
    assert not figures_agree(ours, theirs, FIGURES_VERSION, version=FIGURES_VERSION + 1, since=since)
    wrong_window = kiosk_figures()
    wrong_window["windows"]["1"]["no_show"] = 0
    assert not figures_agree(ours, wrong_window, FIGURES_VERSION, version=FIGURES_VERSION + 1, since=since)


def test_a_kiosk_at_the_new_version_is_compared_on_the_new_figure_too() -> None:
    ours, since = centre_one_version_ahead()
    theirs = copy.deepcopy(ours)
    assert figures_agree(ours, theirs, FIGURES_VERSION + 1, version=FIGURES_VERSION + 1, since=since)
    theirs["hall"]["reprints"] = 3
    assert not figures_agree(ours, theirs, FIGURES_VERSION + 1, version=FIGURES_VERSION + 1, since=since)


def test_a_kiosk_ahead_of_the_centre_is_compared_on_the_centres_figures() -> None:
    kiosk, since = centre_one_version_ahead()  # this time the kiosk was upgraded first
    ours = kiosk_figures()
    assert figures_agree(ours, kiosk, FIGURES_VERSION + 1, version=FIGURES_VERSION, since=since)


def test_the_centre_compares_a_day_close_by_its_figures_version() -> None:
    summary = compute_summary(records(), "h", DAY)
    sent = {"figures": kiosk_figures(), "figures_version": FIGURES_VERSION}
    assert compare_with_kiosk(summary, sent) is True
    unversioned = {"figures": kiosk_figures()}  # a kiosk from before figures were versioned: version 1
    assert compare_with_kiosk(summary, unversioned) is True
    off = kiosk_figures()
    off["hall"]["issued"] = 3
    assert compare_with_kiosk(summary, {"figures": off, "figures_version": FIGURES_VERSION}) is False
    assert compare_with_kiosk(summary, {"closed_at": "…"}) is None


def test_every_figure_has_the_version_that_introduced_it() -> None:
    figures = kiosk_figures()
    names = set(figures) | set(figures["hall"])
    assert names <= FIGURE_SINCE.keys(), names - FIGURE_SINCE.keys()
    assert max(FIGURE_SINCE.values()) == FIGURES_VERSION
    assert figures_as_of(figures, FIGURES_VERSION) == figures
