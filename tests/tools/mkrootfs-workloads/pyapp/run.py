# SPDX-License-Identifier: Apache-2.0
"""Workload: the inventory service's test suite, run by the interpreter alone
(no shell), then its result. `run.py new` also does two things the suite never
does: the plugin hook (the app spawns a shell) and ptrace(PTRACE_TRACEME)
through ctypes; each is reported as new-hook=RC and new-ptrace=RC (0: it
worked, 1: it failed)."""
import ctypes
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
import inventory  # noqa: E402

suite = unittest.defaultTestLoader.discover(os.path.dirname(os.path.abspath(__file__)))
result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
print("check unittest (%d tests) %s" % (result.testsRun,
                                        "ok" if result.wasSuccessful() else "FAIL"))
ok = result.wasSuccessful() and result.testsRun >= 10

if len(sys.argv) > 1 and sys.argv[1] == "new":
    with tempfile.TemporaryDirectory() as d:
        inv = inventory.Inventory(os.path.join(d, "new.db"))
        inv.add("N1", "nail", 3, 0.1)
        try:
            out = inv.run_hook("wc -l")
            print("new-hook=0 (%s lines)" % out.strip())
        except Exception as e:  # noqa: BLE001
            print("new-hook=1 (%s)" % e)
        inv.db.close()
    # the last thing the process does: traced by its parent, with no signal
    # or exec to come, it exits as it would have
    libc = ctypes.CDLL(None, use_errno=True)
    r = libc.ptrace(0, 0, None, None)  # PTRACE_TRACEME
    print("new-ptrace=%d%s" % (r != 0, " (%s)" % os.strerror(ctypes.get_errno()) if r else ""))
print("RESULT " + ("ok" if ok else "FAIL"))
sys.exit(0 if ok else 1)
