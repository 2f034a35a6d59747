"""``python -m fenqi.wechat``: see :mod:`fenqi.wechat.cli`."""
from fenqi.wechat.cli import main

raise SystemExit(main())
