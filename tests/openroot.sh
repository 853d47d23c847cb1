#!/bin/bash
# tests/openroot.sh CMD...: run CMD in a private mount namespace (as root: `unshare -m tests/openroot.sh CMD...`)
# where /root is an open tmpfs holding only the folder Python lives in ($OPENROOT_KEEP, under /root), mounted back
# by way of $OPENROOT_HOLD, an empty folder.
# For a machine whose Python lies in /root (a pyenv), so that the no-userns wall's own user can be tested:
# nothing outside this namespace changes.
set -eu
keep="$OPENROOT_KEEP"
hold="$OPENROOT_HOLD"  # an empty folder of the caller's (the test's tmp_path)
mount --bind "$keep" "$hold"
mount -t tmpfs -o mode=755 tmpfs /root
mkdir -p "$keep"
mount --bind "$hold" "$keep"
exec "$@"
