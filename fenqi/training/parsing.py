"""Parse texts with a model archive in a child process (``python -m components.parse``): the core
never imports Rasa, two models can be parsed at once, and each model's memory goes with its process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PARSE_TIMEOUT = 1800  # seconds: a few thousand texts take well under a minute


class ParseError(RuntimeError):
    """The parser process failed (its last lines of output say why)."""


class ParseJob:
    """One running parser: ``ParseJob(model, texts).result()`` (start now, wait later)."""

    def __init__(self, model: Path, texts: Sequence[str], python: Optional[str] = None) -> None:
        self.model = Path(model).resolve()
        self.count = len(texts)
        self._out = tempfile.TemporaryFile()
        self._err = tempfile.TemporaryFile()
        env = dict(os.environ, PYTHONWARNINGS="ignore", TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false")
        self._proc = subprocess.Popen([python or sys.executable, "-m", "components.parse", str(self.model)],
                                      cwd=PROJECT_ROOT, env=env, stdin=subprocess.PIPE, stdout=self._out,
                                      stderr=self._err)
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(list(texts), ensure_ascii=False).encode("utf-8"))
        self._proc.stdin.close()

    def result(self, timeout: float = PARSE_TIMEOUT) -> List[Dict[str, Any]]:
        try:
            code = self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.close()
            raise ParseError(f"parsing with {self.model.name} took longer than {timeout:.0f} s") from None
        self._out.seek(0)
        self._err.seek(0)
        out, err = self._out.read(), self._err.read().decode("utf-8", "replace")
        self.close()
        if code != 0:
            raise ParseError(f"parsing with {self.model.name} failed (exit {code}):\n"
                             + "\n".join(err.strip().splitlines()[-15:]))
        parses = json.loads(out)
        if not isinstance(parses, list) or len(parses) != self.count:
            raise ParseError(f"parsing with {self.model.name}: expected {self.count} results")
        return parses


    def close(self) -> None:
        """Stop the parser if it still runs (idempotent)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._out.close()
        self._err.close()


def parse(model: Path, texts: Sequence[str]) -> List[Dict[str, Any]]:
    """Parse ``texts`` with ``model`` (blocking)."""
    return ParseJob(model, texts).result()
