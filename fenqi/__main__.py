"""``python -m fenqi``: see :mod:`fenqi.cli`."""
from fenqi.cli import main

raise SystemExit(main())
