"""``python -m arraylr``: the arraylr command line."""

from .cli import main

raise SystemExit(main())
