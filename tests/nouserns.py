"""``python tests/nouserns.py ARGS...``: run ``python ARGS...`` where user namespaces are refused.

A seccomp filter (``isolation.seccomp.refuse_user_namespaces``) makes ``unshare`` and ``clone`` with
``CLONE_NEWUSER`` fail with EPERM for the process and all it starts, as Ubuntu 24.04's AppArmor restriction and
Docker's default seccomp profile do; then it executes Python with the given arguments. The grader started this
way finds no user namespaces and builds the no-userns wall.
"""

from __future__ import annotations

import os
import sys

from nnworkshop.grading.isolation import seccomp

PREFIX = [sys.executable, os.path.abspath(__file__)]


def main() -> None:
    seccomp.refuse_user_namespaces()
    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])


if __name__ == "__main__":
    main()
