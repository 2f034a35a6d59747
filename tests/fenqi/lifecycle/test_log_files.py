"""Log files: rotated in place (writers keep appending), expired by their last write."""
import os
import time
from datetime import date

from fenqi.lifecycle.logs import expire, rotate


def test_rotation_keeps_an_appending_writer_working(tmp_path):
    live = tmp_path / "rasa-1.log"
    writer = open(live, "a", encoding="utf-8")  # as the supervisor opens a child's log (O_APPEND)
    writer.write("day one\n")
    writer.flush()
    (tmp_path / "empty.log").touch()
    rotated = rotate(tmp_path, date(2026, 12, 3))
    again = rotate(tmp_path, date(2026, 12, 3))  # nothing new written: nothing rotated
    writer.write("day two\n")
    writer.flush()
    writer.close()
    assert [p.name for p in rotated] == ["rasa-1.log.2026-12-03"] and again == []
    assert rotated[0].read_text() == "day one\n" and live.read_text() == "day two\n"
    assert [p.name for p in rotate(tmp_path, date(2026, 12, 3))] == ["rasa-1.log.2026-12-03.1"]


def test_expiry_removes_old_rotated_files_and_empties_stale_live_ones(tmp_path):
    old = time.time() - 200 * 86400
    names = ["a.log.2026-01-01", "a.log.2026-12-01", "b.log", "c.log", "notes.txt"]
    for name in names:
        (tmp_path / name).write_text("x\n")
    for name in ("a.log.2026-01-01", "b.log", "notes.txt"):
        os.utime(tmp_path / name, (old, old))
    cutoff = time.time() - 180 * 86400
    dry = expire(tmp_path, cutoff, dry_run=True)
    assert [p.name for p in dry.removed] == ["a.log.2026-01-01"] and [p.name for p in dry.emptied] == ["b.log"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    assert expire(tmp_path, cutoff).count == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(set(names) - {"a.log.2026-01-01"})
    assert (tmp_path / "b.log").stat().st_size == 0 and (tmp_path / "notes.txt").stat().st_size > 0
    assert expire(tmp_path / "missing", cutoff).count == 0
