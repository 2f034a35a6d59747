"""Rasa's own checks on the project: data validation and test conversations against the trained model."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA = str(Path(sys.executable).parent / "rasa")
MODEL = ROOT / "models" / "fenqi.tar.gz"


def run(args, tmp_path):
    return subprocess.run([RASA, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_rasa_data_validate(tmp_path):
    result = run(["data", "validate", "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
                  "--fail-on-warnings"], tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.e2e
def test_conversation_stories_have_no_prediction_errors(tmp_path):
    assert MODEL.exists(), "run `make train` first"
    result = run(["test", "core", "--model", str(MODEL), "--stories", "tests/stories",
                  "--fail-on-prediction-errors", "--out", str(tmp_path / "results"), "--no-plot"], tmp_path)
    failed = tmp_path / "results" / "failed_test_stories.yml"
    detail = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert result.returncode == 0, detail + result.stdout[-3000:] + result.stderr[-3000:]
