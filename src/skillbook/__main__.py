import sys

from skillbook.cli import main

sys.exit(main())
