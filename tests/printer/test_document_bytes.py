"""Byte-exact documents: the expected bytes are spelled out with python-escpos ``Dummy`` calls."""

from __future__ import annotations

import pytest
from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

from drivers.printer import layout, raster, samples
from drivers.printer.documents import document_bytes
from drivers.printer.settings import PrinterSettings

FS_AND = b"\x1c\x26"


def gb(*lines: str) -> bytes:
    return b"".join(line.encode("gb18030") + b"\n" for line in lines)


def start(profile: str = "default") -> Dummy:
    d = Dummy(profile=profile)
    d.hw("INIT")
    d._raw(FS_AND)
    return d


def test_standard_ticket_80mm() -> None:
    d = start()
    d.set(align="center")
    d._raw(gb("柏杨街道龙泉社区便民服务中心"))
    d.set(bold=True)
    d._raw(gb("城乡居民养老保险参保登记"))
    d.set(custom_size=True, width=4, height=4)
    d._raw(gb("A012"))
    d.set(custom_size=True, width=1, height=1)
    d._raw(gb("请到 2、3 号窗口等候叫号"))
    d.set(bold=False)
    d._raw(gb("您前面还有 5 人，预计等候 10～20 分钟"))
    d.set(align="left")
    d._raw(
        gb(
            "取号时间：2026-11-26 09:15",
            "承诺时限：即办件，当场办结",
            "过号请到服务台说明，可插回 3 位后办理。",
            "监督电话：023-51521234",
        )
    )
    d.set(align="center")
    d.qr("T20261126-A012-7F3K", ec=QR_ECLEVEL_M, size=6, native=True)
    d._raw(b"\n")
    d._raw(gb("办完后欢迎在窗口评价器上为我们的服务评价"))
    d.cut()
    got = document_bytes(samples.ticket(), PrinterSettings())
    assert got == d.output
    assert len(got) <= 600


def test_priority_reprint_ticket_58mm_without_cutter() -> None:
    doc = samples.ticket(
        priority_label="70 岁以上老人",
        reprint=True,
        windows=(1,),
        people_ahead=0,
        promised_days=15,
    )
    d = start("POS-5890")
    d.set(align="center")
    d._raw(gb("柏杨街道龙泉社区便民服务中心"))
    d.set(bold=True)
    d._raw(gb("城乡居民养老保险参保登记"))
    d.set(custom_size=True, width=4, height=4)
    d._raw(gb("A012"))
    d.set(custom_size=True, width=1, height=1)
    d._raw(gb("【补打】", "优先：70 岁以上老人", "请到 1 号窗口等候叫号"))
    d.set(bold=False)
    d._raw(gb("您前面没有人在等候"))
    d.set(align="left")
    d._raw(
        gb(
            "取号时间：2026-11-26 09:15",
            "承诺时限：15 个工作日",
            "过号请到服务台说明，可插回 3 位",  # 32 columns on 58 mm paper
            "后办理。",
            "监督电话：023-51521234",
        )
    )
    d.set(align="center")
    d.qr("T20261126-A012-7F3K", ec=QR_ECLEVEL_M, size=6, native=True)
    d._raw(b"\n")
    d._raw(gb("办完后欢迎在窗口评价器上为我们的", "服务评价"))
    d.cut()  # POS-5890 declares no cutter: python-escpos only feeds
    got = document_bytes(doc, PrinterSettings(paper_width_mm=58, profile="POS-5890"))
    assert got == d.output
    assert b"\x1dV" not in got


def test_guide_with_missing_materials_80mm() -> None:
    d = start()
    d.set(align="center")
    d.set(custom_size=True, width=2, height=2)
    d.set(bold=True)
    d._raw(gb("一次性告知单"))
    d.set(custom_size=True, width=1, height=1)
    d.set(bold=False)
    d._raw(gb("柏杨街道龙泉社区便民服务中心"))
    d.set(align="left")
    d._raw(gb("-" * 48))
    d.set(bold=True)
    d._raw(gb("办理事项：最低生活保障申请", "所需材料："))
    d.set(bold=False)
    d._raw(
        gb(
            "1. 居民身份证（原件及复印件）1 份",
            "2. 户口簿（原件及复印件）1 份  ★缺",
            "3. 家庭收入情况声明（原件）1 份",
            "4. 近期免冠照片 2 张",
            "5. 银行卡（复印件）1 份，申请人本人名下  ★缺",
        )
    )
    d.set(bold=True)
    d._raw(gb("办理流程："))
    d.set(bold=False)
    d._raw(
        gb(
            "1. 申请人向户籍所在地社区提出书面申请",
            "2. 社区受理并入户调查、民主评议",
            "3. 街道审核，区县民政部门审批",
            "4. 公示 7 天无异议后发放",
            "承诺时限：20 个工作日（法定时限 30 个工作日）",
            "收费标准：不收费",
            "办理依据：《社会救助暂行办法》《重庆市最低生活保",
            "障条例》",
            "-" * 48,
        )
    )
    d.set(bold=True)
    d._raw(
        gb(
            "经核对，您本次还缺以下材料：",
            "1. 户口簿（原件及复印件）1 份",
            "2. 银行卡（复印件）1 份，申请人本人名下",
        )
    )
    d.set(bold=False)
    d._raw(gb("请补齐以上材料后再来办理，其余材料无需重复准备。", "-" * 48))
    d._raw(gb("告知窗口：3 号窗口", "告知时间：2026-11-26 10:42"))
    d.cut()
    assert document_bytes(samples.guide(("户口簿", "银行卡"), 3), PrinterSettings()) == d.output


def test_guide_from_the_kiosk_has_no_missing_section() -> None:
    got = document_bytes(samples.guide(), PrinterSettings())
    assert "还缺".encode("gb18030") not in got
    assert "★".encode("gb18030") not in got
    assert "告知窗口".encode("gb18030") not in got


def test_day_slip_58mm() -> None:
    d = start()
    d.set(align="center")
    d.set(custom_size=True, width=2, height=2)
    d.set(bold=True)
    d._raw(gb("日结单"))
    d.set(custom_size=True, width=1, height=1)
    d.set(bold=False)
    d._raw(gb("柏杨街道龙泉社区便民服务中心"))
    d.set(align="left")
    d._raw(gb("业务日期：2026-11-26", "-" * 32))
    d.set(bold=True)
    d._raw(gb("全厅合计"))
    d.set(bold=False)
    d._raw(
        gb(
            "取号                          86",
            "办结                          79",
            "过号                           4",
            "平均等候                 11 分钟",
            "评价率                     91.1%",
            "满意率                     97.2%",
            "差评待回访                     1",
            "号票打印故障                   1",
        )
    )
    d.set(bold=True)
    d._raw(gb("分窗口"))
    d.set(bold=False)
    for line, value in (("1 号窗口  办结 28  评价 26", "满意 26"), ("2 号窗口  办结 27  评价 25", "满意 24"),
                        ("3 号窗口  办结 24  评价 21", "满意 20")):  # fmt: skip
        d._raw(gb(line))
        d.set(align="right")
        d._raw(gb(value))
        d.set(align="left")
    d._raw(gb("-" * 32, "打印时间：2026-11-26 17:40"))
    d.print_and_feed(1)
    d._raw(gb("核对人签字："))
    d.cut()
    assert document_bytes(samples.day_slip(), PrinterSettings(paper_width_mm=58)) == d.output


def test_rare_character_falls_back_to_a_sliced_raster_line() -> None:
    # 𬌗 (U+2C317) is in GB18030 but in no printer's GBK font: that one line goes raster.
    doc = samples.ticket(hall_name="柏杨街道𬌗溪社区便民服务中心")
    got = document_bytes(doc, PrinterSettings())
    d = start()
    img = raster.render_line("柏杨街道𬌗溪社区便民服务中心", align="center", dots=576)
    d.image(img, impl="bitImageRaster", fragment_height=raster.SLICE_ROWS)
    d.set(align="center")
    d.set(bold=True)
    d._raw(gb("城乡居民养老保险参保登记"))
    assert got.startswith(d.output)
    assert "𬌗".encode("gb18030") not in got


@pytest.mark.parametrize("charset", ["gb2312", "gbk", "gb18030"])
def test_charset_decides_what_is_text(charset: str) -> None:
    target = layout.Target(chinese=True, charset=charset)  # type: ignore[arg-type]
    d = Dummy()
    layout.emit(d, [layout.Text("喆")], target)  # 喆 is in GBK but not in GB2312
    assert (b"\x1dv0" in d.output) == (charset == "gb2312")


def test_printer_without_chinese_font_gets_raster_for_every_chinese_line() -> None:
    text_mode = document_bytes(samples.ticket(), PrinterSettings())
    raster_mode = document_bytes(samples.ticket(), PrinterSettings(chinese=False))
    assert FS_AND not in raster_mode
    assert raster_mode.count(b"\x1dv0") == 9  # one slice per Chinese line (each is 24 dots high)
    assert b"A012\n" in raster_mode and b"T20261126-A012-7F3K" in raster_mode  # ASCII stays text; QR native
    assert len(raster_mode) > 10 * len(text_mode)


def test_control_characters_in_config_text_cannot_inject_commands() -> None:
    got = document_bytes(samples.ticket(hall_name="社区\x1b@\x1dV\x00中心"), PrinterSettings())
    assert got.count(b"\x1b@") == 1
    assert gb("社区@V中心") in got


def test_naive_times_are_refused() -> None:
    import datetime as dt

    with pytest.raises(ValueError, match="timezone-aware"):
        samples.ticket(issued_at_local=dt.datetime(2026, 11, 26, 2, 0))


def test_aware_utc_time_prints_as_shanghai_wall_clock() -> None:
    import datetime as dt

    doc = samples.ticket(issued_at_local=dt.datetime(2026, 11, 26, 1, 15, tzinfo=dt.UTC))
    assert gb("取号时间：2026-11-26 09:15") in document_bytes(doc, PrinterSettings())


def test_times_print_in_the_halls_timezone() -> None:
    import datetime as dt

    at = dt.datetime(2026, 11, 26, 1, 15, tzinfo=dt.UTC)
    doc = samples.ticket(issued_at_local=at, timezone="Asia/Urumqi")
    assert gb("取号时间：2026-11-26 07:15") in document_bytes(doc, PrinterSettings())
