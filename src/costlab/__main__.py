"""``python -m costlab``: the same command line as the ``costlab`` script."""

from costlab.cli import main

if __name__ == "__main__":
    main()
