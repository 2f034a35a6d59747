"""``python -m fenqi``: see :mod:`fenqi.cli`."""
import os

from fenqi.cli import main
from fenqi.settings import var_dir

try:
    var_dir()  # the directory itself stays traversable (production's PostgreSQL lives below it)
except OSError:
    pass  # the CLI reports an unusable location itself
os.umask(0o077)  # databases and secrets this CLI creates are owner-only (issue #11)
raise SystemExit(main())
