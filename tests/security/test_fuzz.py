"""A bounded fuzz run against the real Rasa server: 0 5xx, 0 hangs, alive, bounded RSS.

``make fuzz`` runs the same generator for 10,000+ inputs (tests/security/fuzzing.py).
"""
import os

import pytest

from tests.security.fuzzing import run_fuzz

pytestmark = pytest.mark.e2e

INPUTS = int(os.environ.get("FENQI_FUZZ_INPUTS", "2000"))


def test_hostile_inputs_never_crash_hang_or_bloat_the_server(bot_stack, rasa_pid):
    report = run_fuzz(bot_stack.rasa_url, rasa_pid, INPUTS, seed=1111)
    print(report.summary())
    assert report.inputs == INPUTS
    assert report.server_errors == [], report.server_errors[:5]
    assert report.hangs == [], report.hangs[:5]
    assert report.alive, bot_stack.log_tail()
    assert report.peak_rss_mb < 1536
