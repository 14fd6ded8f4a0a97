"""Staff PIN hashing (kiosk/config/pin.py): salted PBKDF2, verified in constant time."""

from __future__ import annotations

import pytest

from kiosk.config.pin import hash_pin, verify_pin
from kiosk.config.schema import PIN_HASH_RE, HallConfig, Staff

FAST = 1_000  # iterations for tests; the default (200 000) is exercised once below


def test_round_trip() -> None:
    stored = hash_pin("2468", iterations=FAST)
    assert verify_pin("2468", stored)
    assert not verify_pin("2469", stored)
    assert not verify_pin("24680", stored)


def test_format_is_what_the_config_accepts() -> None:
    stored = hash_pin("123456", salt=b"\x01" * 16, iterations=FAST)
    match = PIN_HASH_RE.match(stored)
    assert match is not None
    assert int(match[1]) == FAST and match[2] == "01" * 16 and len(match[3]) == 64
    Staff(pin_hash=stored)  # validates


def test_salt_is_random_and_the_pin_never_appears() -> None:
    a, b = hash_pin("2468", iterations=FAST), hash_pin("2468", iterations=FAST)
    assert a != b
    assert "2468" not in a.split("$", 2)[2]


def test_same_salt_same_hash() -> None:
    assert hash_pin("2468", salt=b"s" * 16, iterations=FAST) == hash_pin(
        "2468", salt=b"s" * 16, iterations=FAST
    )


def test_default_iterations_and_the_sample_demo_pin(sample_config: HallConfig) -> None:
    assert hash_pin("2468").split("$")[1] == "200000"
    # The sample config's comment says its demo PIN is 2468.
    assert verify_pin("2468", sample_config.staff.pin_hash)
    assert not verify_pin("1357", sample_config.staff.pin_hash)


@pytest.mark.parametrize("pin", ["", "123", "1234567890123", "12a4", "12 34", "١٢٣٤x"])
def test_bad_pins_are_refused(pin: str) -> None:
    with pytest.raises(ValueError):
        hash_pin(pin, iterations=FAST)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "2468",
        "sha1$1000$00$00",
        "pbkdf2_sha256$x$00$00",
        "pbkdf2_sha256$1000$zz$00",
        "pbkdf2_sha256$1000$00",
    ],
)
def test_malformed_stored_hash_never_verifies(stored: str) -> None:
    assert verify_pin("2468", stored) is False
