"""`python -m downstairs`: the same as the `downstairs` console command."""

import sys

from downstairs.cli import main

sys.exit(main())
