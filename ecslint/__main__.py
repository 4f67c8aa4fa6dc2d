"""`python -m ecslint`."""

from ecslint.cli import entry

if __name__ == "__main__":
    entry()
