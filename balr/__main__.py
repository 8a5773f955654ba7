"""`python -m balr` is the `balr` command."""

import sys

from balr.cli.main import main

sys.exit(main())
