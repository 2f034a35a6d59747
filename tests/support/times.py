"""Business time in tests: instants written as Beijing wall-clock times (aware), like the clock's."""
from zoneinfo import ZoneInfo

BJ = ZoneInfo("Asia/Shanghai")
