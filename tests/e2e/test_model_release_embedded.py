"""Promotion and rollback in embedded mode (``make run``: one Rasa server, SQLite): the command finds
the instance the supervisor recorded, switches it through Rasa's API with the token, and the bot
answers on the new model; rollback returns it. The model is the trained one re-packed (it answers
the same); its gate record is written here — the gate itself is tests/prod/test_training_loop.py."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
import requests

from fenqi.training import releases
from fenqi.training.archive import sha256_of
from fenqi.training.gate import GateRecord, Tolerance
from tests.support.models import repacked
from tests.support.stack import API_TOKEN, MODEL, ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def serving(bot_stack) -> str:
    return requests.get(f"{bot_stack.rasa_url}/status", params={"token": API_TOKEN}, timeout=30).json()["model_file"]


def test_promote_and_roll_back_the_embedded_instance(bot_stack, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    shutil.copyfile(MODEL, models / "fenqi.tar.gz")
    candidate = repacked(MODEL, tmp_path / "candidate.tar.gz")
    releases.save_gate_record(models, GateRecord(sha256_of(candidate), sha256_of(models / "fenqi.tar.gz"),
                                                 "fenqi.tar.gz", True, (), Tolerance().__dict__, {}, "2026-12-03T10:00"))
    env = dict(bot_stack.env, FENQI_MODELS_DIR=str(models), RASA_API_TOKEN=API_TOKEN)

    def fenqi(*args):
        return subprocess.run([sys.executable, "-m", "fenqi", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=240)

    promoted = fenqi("model", "promote", str(candidate), "--by", "小林")  # the instance from rasa-instances.json
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    name = re.search(r"promoted (\S+\.tar\.gz)", promoted.stdout).group(1)
    assert serving(bot_stack) == name and re.search(r"rasa-1 [\d.]+ s", promoted.stdout)
    assert bot_stack.ask("embedded-release", "小米分期怎么还款")
    back = fenqi("model", "rollback")
    assert back.returncode == 0, back.stdout + back.stderr
    assert serving(bot_stack) == re.search(r"rolled back to (\S+\.tar\.gz)", back.stdout).group(1) != name
    assert bot_stack.ask("embedded-release", "那提前还呢？")
