"""``python -m utils.serving`` = ``course serve`` (used by ``start_background`` and the container)."""
import sys

from . import cli_main

sys.exit(cli_main())
