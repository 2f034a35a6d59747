"""fenqi.clock: the one business clock (zone from the settings, aware, settable by tests)."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from fenqi import clock
from fenqi.settings import ConfigurationError, clock_settings, read_settings

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def fresh_clock():
    """Each test reads the clock's settings anew, and leaves the default behind."""
    clock.configure(clock.ClockConfig(zone=SHANGHAI))
    yield
    clock.configure(clock.ClockConfig(zone=SHANGHAI))


def test_now_is_aware_in_the_business_zone_and_utcnow_is_the_same_instant():
    now, utc = clock.now(), clock.utcnow()
    assert now.utcoffset() == timedelta(hours=8) and utc.utcoffset() == timedelta(0)
    assert abs((now - utc).total_seconds()) < 5


def test_at_2330_utc_it_is_already_tomorrow_in_beijing():
    with clock.frozen(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)) as at:
        assert clock.today() == date(2026, 12, 2)
        assert (at.hour, at.minute) == (7, 30) and clock.now() == at
        assert clock.utcnow() == datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


def test_the_server_zone_does_not_matter(monkeypatch):
    """TZ=UTC (or any zone) changes nothing: the clock never reads the process's local zone."""
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        with clock.frozen(datetime(2026, 12, 1, 17, 0, tzinfo=UTC)):
            assert clock.today() == date(2026, 12, 2) and clock.now().hour == 1
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_frozen_and_shifted_nest_and_restore():
    real = clock.utcnow()
    with clock.shifted(timedelta(days=3)):
        assert clock.utcnow() - real > timedelta(days=2, hours=23)
        with clock.frozen(datetime(2030, 1, 1, tzinfo=SHANGHAI)):
            assert clock.today() == date(2030, 1, 1)
        assert clock.utcnow() - real > timedelta(days=2, hours=23)
    assert abs((clock.utcnow() - real).total_seconds()) < 5


def test_naive_datetimes_are_not_business_time():
    with pytest.raises(ValueError, match="naive"):
        clock.local(datetime(2026, 12, 1, 9, 0))
    with pytest.raises(ValueError, match="naive"):
        clock.frozen(datetime(2026, 12, 1, 9, 0)).__enter__()


def test_business_date_and_business_time_helpers():
    assert clock.business_date(datetime(2026, 12, 1, 16, 0, tzinfo=UTC)) == date(2026, 12, 2)
    assert clock.business_date(datetime(2026, 12, 1, 15, 59, tzinfo=UTC)) == date(2026, 12, 1)
    assert clock.at_business_time(date(2026, 12, 2), 9) == datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


# --- the settings: FENQI_TIMEZONE, FENQI_CLOCK_AT, FENQI_CLOCK_OFFSET ------------------------------

def test_the_zone_is_a_setting_validated_as_an_iana_zone():
    assert clock_settings({}).timezone == "Asia/Shanghai"
    assert clock_settings({"FENQI_TIMEZONE": "Asia/Hong_Kong"}).zone == ZoneInfo("Asia/Hong_Kong")
    for bad in ("UTC+8", "Beijing", "/etc/localtime", "../../etc/passwd", ""):
        with pytest.raises(ConfigurationError, match="FENQI_TIMEZONE"):
            clock_settings({"FENQI_TIMEZONE": bad})


def test_another_zone_moves_today():
    clock.configure(clock.ClockConfig(zone=ZoneInfo("America/Los_Angeles")))
    with clock.frozen(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)):
        assert clock.today() == date(2026, 12, 1) and clock.now().hour == 15


def test_a_fixed_clock_for_whole_bot_runs_in_development(monkeypatch):
    monkeypatch.setenv("FENQI_ENV", "development")
    monkeypatch.setenv("FENQI_CLOCK_AT", "2026-12-01T23:30:00Z")
    clock.configure()
    assert clock.utcnow() == datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    assert clock.today() == date(2026, 12, 2)
    monkeypatch.delenv("FENQI_CLOCK_AT")
    monkeypatch.setenv("FENQI_CLOCK_OFFSET", str(-86400 * 2))
    clock.configure()
    assert timedelta(days=1, hours=23) < datetime.now(UTC) - clock.utcnow() < timedelta(days=2, hours=1)


def test_a_test_clock_is_refused_in_production():
    for name, value in (("FENQI_CLOCK_AT", "2026-12-01T23:30:00Z"), ("FENQI_CLOCK_OFFSET", "3600")):
        with pytest.raises(ConfigurationError, match="FENQI_ENV=development"):
            clock_settings({name: value})  # no FENQI_ENV: production
        with pytest.raises(ConfigurationError, match="FENQI_ENV=development"):
            read_settings({name: value, "FENQI_JWT_SECRET": "Kq8wZ3pL0vR7tY2uN5bM9cX4jH6gF1dS"})
        assert clock_settings({name: value, "FENQI_ENV": "development"}).set_by_test


def test_a_fixed_clock_needs_an_offset():
    with pytest.raises(ConfigurationError, match="FENQI_CLOCK_AT"):
        clock_settings({"FENQI_CLOCK_AT": "2026-12-01 23:30", "FENQI_ENV": "development"})
    with pytest.raises(ConfigurationError, match="FENQI_CLOCK_AT"):
        clock_settings({"FENQI_CLOCK_AT": "tomorrow", "FENQI_ENV": "development"})
    assert clock_settings({"FENQI_CLOCK_AT": "2026-12-02T07:30:00+08:00",
                           "FENQI_ENV": "development"}).fixed_at == datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


def test_no_module_reads_the_wall_clock_but_the_clock():
    """datetime.now()/utcnow()/today() and date.today() appear in fenqi/clock.py only."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"\b(datetime\.(now|utcnow|today)|date\.today)\(")
    offenders = [f"{p.relative_to(root)}:{n}"
                 for d in ("fenqi", "actions", "channels", "components", "console", "webapp", "deploy", "scripts")
                 for p in sorted((root / d).rglob("*.py")) if p != Path(clock.__file__)
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert offenders == []
