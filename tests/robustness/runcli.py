"""`python -m tests.robustness.runcli ...`: the real execbot CLI with the EXECBOT_TEST_* hooks applied."""

from __future__ import annotations

import sys

from tests.robustness.rbhelpers import install_test_hooks

if __name__ == "__main__":
    install_test_hooks()
    from bot.cli import main

    print("runcli: started", file=sys.stderr, flush=True)
    sys.exit(main())
