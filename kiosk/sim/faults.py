"""Everything going wrong once: the fault schedule of a simulated day.

Times are fractions of the simulated opening time (lunch skipped), so a shortened day gets the same
faults in the same order, compressed. On a full day (09:00–12:00, 14:00–17:30) they fall at about:
paper out 09:39 (refilled 15 min later), keypad bus unplugged 10:10 for one minute, kiosk killed
10:45 and restarted, street centre unreachable 15:00–16:00, window 4 paused 16:10 for ten minutes.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from kiosk.config.schema import HallConfig
from kiosk.engine.clock import utc_from_local
from kiosk.sim.checks import Outcome
from kiosk.sim.hall import Hall
from kiosk.sim.procs import KioskProcess

KIOSK_DOWN = dt.timedelta(minutes=1)
"""How long the kiosk stays dark after the SIGKILL before it is switched on again; its real start-up
(2–3 s: imports, migrations, printer and bus) comes on top, i.e. 10–15 simulated minutes at speed 300."""


@dataclass(frozen=True)
class FaultPlan:
    paper_out: dt.datetime
    paper_refill: dt.datetime
    bus_unplug: dt.datetime
    bus_replug: dt.datetime
    kiosk_kill: dt.datetime
    centre_down: dt.datetime
    centre_up: dt.datetime
    pause_window: dt.datetime

    def describe(self, tz: str) -> list[tuple[str, str]]:
        from kiosk.engine.clock import local

        def hm(t: dt.datetime) -> str:
            return local(t, tz).strftime("%H:%M")

        return [
            (f"{hm(self.paper_out)}–{hm(self.paper_refill)}", "打印机缺纸，补纸后补打号票"),
            (f"{hm(self.bus_unplug)}–{hm(self.bus_replug)}", "呼叫评价器总线 USB 转换器被拔下又插回"),
            (hm(self.kiosk_kill), "取号机进程被强制结束（SIGKILL）后重新启动"),
            (f"{hm(self.centre_down)}–{hm(self.centre_up)}", "街道中心不可达（服务进程停止）"),
            (hm(self.pause_window), "窗口临时离岗暂停 10 分钟"),
        ]


def opening_instant(config: HallConfig, day: dt.date, opening_seconds: float) -> dt.datetime:
    """The instant when `opening_seconds` of opening time have passed since the first session began."""
    left = opening_seconds
    for s in config.sessions:
        start = utc_from_local(day, s.start, config.timezone)
        end = utc_from_local(day, s.end, config.timezone)
        span = (end - start).total_seconds()
        if left <= span:
            return start + dt.timedelta(seconds=left)
        left -= span
    last = config.sessions[-1]
    return utc_from_local(day, last.end, config.timezone) + dt.timedelta(seconds=left)


def plan_faults(config: HallConfig, day: dt.date, opening_hours: float) -> FaultPlan:
    span = opening_hours * 3600

    def at(fraction: float) -> dt.datetime:
        return opening_instant(config, day, fraction * span)

    centre_down = at(0.62)
    outage = dt.timedelta(seconds=min(3600.0, 0.2 * span))
    paper_out = at(0.1)
    unplug = at(0.18)
    return FaultPlan(
        paper_out=paper_out,
        paper_refill=paper_out + dt.timedelta(seconds=min(900.0, 0.1 * span)),
        bus_unplug=unplug,
        bus_replug=unplug + dt.timedelta(minutes=1),
        kiosk_kill=at(0.27),
        centre_down=centre_down,
        centre_up=centre_down + outage,
        pause_window=at(0.8),
    )


class FaultRunner:
    """Schedules the plan's faults on the hall's loop and records what each one did."""

    def __init__(self, hall: Hall, plan: FaultPlan, centre: Any, restart_kiosk: Any):
        self.hall = hall
        self.plan = plan
        self.centre = centre
        self.restart_kiosk = restart_kiosk
        self.observed: dict[str, Any] = {}
        self._kiosk_starts = 0
        self._replugged_at = plan.bus_replug

    def schedule(self) -> None:
        h, p = self.hall, self.plan
        h.at(p.paper_out, self.paper_out)
        h.at(p.paper_refill, self.paper_refill)
        h.at(p.bus_unplug, self.unplug)
        h.at(p.bus_replug, self.replug)
        h.at(p.kiosk_kill, self.kill)
        h.at(p.centre_down, self.centre_stop)
        h.at(p.centre_up, self.centre_start)

    def paper_out(self) -> None:
        if self.hall.call({"op": "printer", "state": "paper_out"}) is None:
            self.hall.after(60, self.paper_out)
            return
        self.hall.note("打印机缺纸")

    def paper_refill(self) -> None:
        if self.hall.call({"op": "printer", "state": "ready"}) is None:
            self.hall.after(60, self.paper_refill)
            return
        reply = self.hall.call({"op": "reprint_failures"}) or {}
        done = reply.get("reprinted", [])
        self.observed["reprinted"] = done
        self.hall.note(f"补纸；补打 {len(done)} 张号票：{' '.join(d['number'] for d in done)}")

    def unplug(self) -> None:
        st = self.hall.status() or {}
        self.observed["bus_opens_before"] = sum(b["opens"] for b in st.get("buses", []))
        self._kiosk_starts = self.hall.kiosk.starts
        self.hall.call({"op": "unplug"})
        self.hall.note("呼叫评价器总线拔下")

    def replug(self) -> None:
        self.hall.call({"op": "replug"})
        self.hall.note("呼叫评价器总线插回")
        self._replugged_at = self.hall.now()
        self.hall.after(15, self.check_bus, 40)

    def check_bus(self, tries: int) -> None:
        """Poll until the driver has reopened the port (its reconnect back-off runs in real time)."""
        st = self.hall.status()
        if st is not None:
            buses = st.get("buses", [])
            opens = sum(b["opens"] for b in buses)
            up = bool(buses) and all(b["state"] == "up" for b in buses)
            restarted = self.hall.kiosk.starts != self._kiosk_starts
            if (up and (opens > self.observed["bus_opens_before"] or restarted)) or tries <= 1:
                self.observed.update(
                    bus_opens_after=opens,
                    bus_state_after=[b["state"] for b in buses],
                    bus_back_after_s=round((self.hall.now() - self._replugged_at).total_seconds()),
                    bus_kiosk_restarted_meanwhile=restarted,
                )
                return
        if tries > 1:
            self.hall.after(15, self.check_bus, tries - 1)

    def _bus_check_pending(self) -> bool:
        return "bus_opens_before" in self.observed and "bus_opens_after" not in self.observed

    def kill(self) -> None:
        """The power cord is pulled just as a resident taps: the tap is in flight when the kiosk dies."""
        if not self.hall.kiosk_up or self._bus_check_pending():
            # Never while the bus check still waits for the driver to reopen the port (it runs in
            # real time, slower on a loaded machine): each fault is then seen on its own.
            self.hall.after(60, self.kill)
            return
        self.hall.collect_taps(0.0)  # residents already holding their paper ticket keep it
        tap = self.hall.pending_tap
        if tap is not None:
            tap()
            time.sleep(0.02)  # the kiosk has read the tap; the power goes while it is being handled
        self.hall.kiosk.kill()
        self.hall.kiosk_up = False
        self.hall.note("取号机断电（SIGKILL），一位居民正在取号" if tap else "取号机断电（SIGKILL）")
        self.hall.after(KIOSK_DOWN.total_seconds(), self.restart_kiosk)

    def centre_stop(self) -> None:
        self.centre.stop()
        st = self.hall.status() or {}
        self.observed["backlog_at_centre_down"] = st.get("backlog")
        self.hall.note("街道中心不可达")
        self.hall.after(
            max(60.0, (self.plan.centre_up - self.plan.centre_down).total_seconds() / 2), self.probe
        )

    def probe(self) -> None:
        """What the kiosk says while the centre is gone; asked again until its sync has noticed (its
        retries run in real time, slower on a loaded machine), as long as the outage lasts."""
        st = self.hall.status() or {}
        self.observed["during_outage"] = {
            "backlog": st.get("backlog"),
            "sync_phase": st.get("sync_phase"),
            "sync_error": st.get("sync_error"),
        }
        if not st.get("sync_error") and self.hall.now() + dt.timedelta(seconds=60) < self.plan.centre_up:
            self.hall.after(30, self.probe)

    def centre_start(self) -> None:
        self.centre.start()
        st = self.hall.status() or {}
        self.observed["backlog_at_centre_up"] = st.get("backlog")
        self.hall.note(f"街道中心恢复；待同步事件 {st.get('backlog')} 条，由取号机自行补传")

    def check(self, out: Outcome, kiosk: KioskProcess) -> None:
        """Did each fault really strike, and was it survived?"""
        seen = self.observed
        reprinted = seen.get("reprinted", [])
        unprinted = {t["number"] for t in self.hall.ledger.issued.values() if not t.get("printed")}
        again = {r["number"] for r in reprinted}
        out.add(
            "paper out: tickets shown on screen, reprinted after the refill",
            all(r["printed"] for r in reprinted) and again <= unprinted,
            f"{len(unprinted)} tickets not printed when issued, {len(again)} of them reprinted after the refill"
            + (f"; still without paper: {sorted(unprinted - again)}" if unprinted - again else ""),
        )
        restarted = seen.get("bus_kiosk_restarted_meanwhile")
        # The kill waits for this check, so only the driver itself can have reopened the port: a
        # restarted kiosk opening it afresh would prove nothing about the reconnect.
        out.add(
            "keypad bus unplugged and found again by the driver",
            restarted is False
            and seen.get("bus_opens_after", 0) > seen.get("bus_opens_before", 0)
            and all(s == "up" for s in seen.get("bus_state_after", ["?"])),
            f"port opens {seen.get('bus_opens_before')} → {seen.get('bus_opens_after')}, line up again "
            f"{seen.get('bus_back_after_s')} s after the replug"
            + (" (kiosk restarted meanwhile: the reconnect was not seen)" if restarted else ""),
        )
        out.add(
            "kiosk killed once and restarted on the same data",
            kiosk.kills == 1 and kiosk.starts == 2,
            f"residents whose tap was cut off tapped again: {seen.get('retaps_after_restart')}",
        )
        during = seen.get("during_outage", {})
        error = ":".join(str(during.get("sync_error") or "none").split(":")[:2])
        out.add(
            "centre unreachable for a while, the kiosk caught up by itself",
            # Both, not either: the kiosk says the centre is unreachable, and the events pile up.
            str(during.get("sync_error")).startswith("unreachable") and (during.get("backlog") or 0) > 0,
            f"during the outage: sync {during.get('sync_phase')} ({error}), backlog {during.get('backlog')}; "
            f"backlog when it came back {seen.get('backlog_at_centre_up')}",
        )
