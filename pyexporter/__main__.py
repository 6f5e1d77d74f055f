import sys

from pyexporter.cli import main

sys.exit(main())
