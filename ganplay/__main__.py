"""`python -m ganplay ...` and `torchrun -m ganplay train ...` enter here."""

from ganplay.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
