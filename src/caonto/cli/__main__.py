import sys

from caonto.cli import main

sys.exit(main())
