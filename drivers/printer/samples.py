"""Sample documents for the demo, the bench, the previews and the tests (a 重庆 巫溪县 柏杨街道 hall)."""

from __future__ import annotations

from datetime import date, datetime

from .documents import HALL_TZ, DaySlipDoc, GuideDoc, Material, TicketDoc

HALL = "柏杨街道龙泉社区便民服务中心"
ISSUED = datetime(2026, 11, 26, 9, 15, tzinfo=HALL_TZ)


def ticket(number: str = "A012", ticket_id: str = "T20261126-A012-7F3K", **changes: object) -> TicketDoc:
    """A standard queue ticket."""
    fields: dict[str, object] = dict(
        hall_name=HALL,
        service_name="城乡居民养老保险参保登记",
        number=number,
        priority_label=None,
        windows=(2, 3),
        people_ahead=5,
        wait_min_minutes=10,
        wait_max_minutes=20,
        issued_at_local=ISSUED,
        promised_days=0,
        missed_call_rule="过号请到服务台说明，可插回 3 位后办理。",
        hotline="023-51521234",
        qr_payload=ticket_id,
        reprint=False,
    )
    fields.update(changes)
    return TicketDoc(**fields)  # type: ignore[arg-type]


def guide(missing: tuple[str, ...] = (), window_number: int | None = None) -> GuideDoc:
    """The 一次性告知单 for 最低生活保障申请."""
    return GuideDoc(
        hall_name=HALL,
        service_name="最低生活保障申请",
        materials=(
            Material("居民身份证", "原件及复印件", 1),
            Material("户口簿", "原件及复印件", 1),
            Material("家庭收入情况声明", "原件", 1),
            Material("近期免冠照片", "", 2, "张"),
            Material("银行卡", "复印件", 1, note="申请人本人名下"),
        ),
        process=(
            "申请人向户籍所在地社区提出书面申请",
            "社区受理并入户调查、民主评议",
            "街道审核，区县民政部门审批",
            "公示 7 天无异议后发放",
        ),
        promised_days=20,
        legal_days=30,
        fee="不收费",
        legal_basis=("《社会救助暂行办法》", "《重庆市最低生活保障条例》"),
        printed_at_local=datetime(2026, 11, 26, 10, 42, tzinfo=HALL_TZ),
        missing=missing,
        window_number=window_number,
    )


def day_slip() -> DaySlipDoc:
    """The 日结 slip for one business day."""
    return DaySlipDoc(
        hall_name=HALL,
        business_date=date(2026, 11, 26),
        rows=(
            ("全厅合计", ""),
            ("取号", "86"),
            ("办结", "79"),
            ("过号", "4"),
            ("平均等候", "11 分钟"),
            ("评价率", "91.1%"),
            ("满意率", "97.2%"),
            ("差评待回访", "1"),
            ("号票打印故障", "1"),
            ("分窗口", ""),
            ("1 号窗口  办结 28  评价 26", "满意 26"),
            ("2 号窗口  办结 27  评价 25", "满意 24"),
            ("3 号窗口  办结 24  评价 21", "满意 20"),
        ),
        printed_at_local=datetime(2026, 11, 26, 17, 40, tzinfo=HALL_TZ),
    )
