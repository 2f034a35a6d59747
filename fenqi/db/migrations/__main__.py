"""``python -m fenqi.db.migrations upgrade [REVISION] | current | head``."""
from __future__ import annotations

import argparse
import sys

from fenqi.db.migrations import current_revision, head_revision, upgrade
from fenqi.settings import load_settings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fenqi.db.migrations")
    parser.add_argument("command", choices=("upgrade", "current", "head"))
    parser.add_argument("revision", nargs="?", default="head")
    args = parser.parse_args(argv)
    if args.command == "upgrade":
        upgrade(revision=args.revision)
        print(f"account store at revision {current_revision(load_settings().database_url)}")
    elif args.command == "current":
        print(current_revision(load_settings().database_url) or "(none)")
    else:
        print(head_revision())
    return 0


if __name__ == "__main__":
    sys.exit(main())
