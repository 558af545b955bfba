"""``python -m ml ...`` is the same as the ``microexpr`` console script."""

import sys

from ml.cli import main

sys.exit(main())
