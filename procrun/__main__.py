"""``python -m procrun``: the same as the ``procrun`` command."""

from procrun.entry import main

raise SystemExit(main())
