#!/usr/bin/env python
from opstap.cli import main

if __name__ == "__main__":
    main()
