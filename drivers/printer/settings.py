"""Hall configuration for the ticket printer.

The hall config (``kiosk/config/schema.py``) embeds :class:`PrinterSettings` under ``devices.printer``,
so this module imports neither Kivy nor anything from ``kiosk``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Connection = Literal["simulated", "network", "serial", "usb", "file"]


class PrinterSettings(BaseModel):
    """How the kiosk reaches its thermal ESC/POS printer and what that printer can do."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connection: Connection = "simulated"
    """``network``: raw TCP (JetDirect, port 9100). ``serial``: RS-232/USB-serial adapter, named by
    ``/dev/serial/by-id/...`` (never ``/dev/ttyUSB0``, which changes with plug order). ``usb``: direct
    USB (needs pyusb and a udev rule). ``file``: a device file such as ``/dev/usb/lp0`` (write-only, so it
    cannot answer status queries). ``simulated``: the driver starts the simulated printer shipped in this
    package on loopback (``host``/``port``; an ephemeral port if that one is taken) — for the demo. To
    use a simulator started on its own (``python -m drivers.printer.simulator``), choose ``network``."""

    host: str = "127.0.0.1"
    """Network printer's address (``network``); where the simulated printer listens (``simulated``)."""

    port: int = Field(default=9100, ge=0, le=65535)
    """TCP port: 9100 for real network printers. For ``simulated``, 0 picks a free port."""

    device: str = ""
    """``serial``: device path (``/dev/serial/by-id/usb-...``). ``file``: device file (``/dev/usb/lp0``).
    ``usb``: ``"VID:PID"`` in hex, e.g. ``"0416:5011"``."""

    baudrate: int = Field(default=9600, gt=0)
    """Serial line speed. Cheap hall printers ship at 9600; many can be set to 115200 with their DIP
    switches, which makes raster fallback 12 times faster. For ``simulated``, the emulated line speed
    (0 is not allowed; use a large number for "as fast as loopback")."""

    paper_width_mm: Literal[80, 58] = 80
    """Roll width: 80 mm (48 columns, 576 dots) or 58 mm (32 columns, 384 dots)."""

    profile: str = "default"
    """python-escpos capability profile name, e.g. ``default`` or ``TM-T88V``. Chinese no-name printers
    (Xprinter, Gprinter, 佳博, 芯烨) have no profile of their own; ``default`` suits them. Profiles that
    declare no cutter (``POS-5890``, ``NT-5890K``) only feed at the end of a ticket."""

    chinese: bool = True
    """The printer has a Chinese font and accepts GB18030 in Chinese mode (``FS &``). When False, every
    line with Chinese is sent as a raster image (slow on 9600 baud: about 40 s per ticket)."""

    font_charset: Literal["gb2312", "gbk", "gb18030"] = "gbk"
    """Which characters the printer's Chinese font really has. Text outside it (生僻字, emoji) is sent
    as a raster image. Most cheap printers have GBK; older ones only GB2312."""

    answers_status: bool = True
    """The printer answers real-time ``DLE EOT`` status queries. Set False for ``file`` and for printers
    that never reply; the kiosk then prints without checking and cannot tell paper-out from success."""

    status_timeout_s: float = Field(default=0.5, gt=0, le=5)
    """How long to wait for each status reply byte. Real-time replies come within milliseconds."""

    @model_validator(mode="after")
    def _check_connection(self) -> PrinterSettings:
        if self.connection in ("serial", "file", "usb") and not self.device:
            raise ValueError(f"connection={self.connection!r} needs `device` (see docs/printer.md)")
        if self.connection == "network" and not self.host:
            raise ValueError("connection='network' needs `host`")
        if self.connection == "usb":
            parse_usb_ids(self.device)
        return self

    @property
    def columns(self) -> int:
        """Text columns in font A (12x24 dots); a Chinese character takes two."""
        return 48 if self.paper_width_mm == 80 else 32

    @property
    def dots(self) -> int:
        """Printable width in dots at 203 dpi."""
        return 576 if self.paper_width_mm == 80 else 384

    @property
    def can_read_status(self) -> bool:
        """Whether a status query is worth sending: configured to answer and on a two-way link."""
        return self.answers_status and self.connection != "file"

    def wire_seconds(self, n_bytes: int) -> float:
        """Time the bytes spend on a serial (or emulated serial) line: 10 bits per byte."""
        if self.connection in ("serial", "simulated"):
            return n_bytes * 10 / self.baudrate
        return 0.0


def parse_usb_ids(device: str) -> tuple[int, int]:
    """``"0416:5011"`` → ``(0x0416, 0x5011)``."""
    try:
        vid, pid = device.split(":")
        return int(vid, 16), int(pid, 16)
    except ValueError:
        raise ValueError(f"usb device must be 'VID:PID' in hex, e.g. '0416:5011', not {device!r}") from None
