"""Runs examples/multi-tenant against Mnemo and checks each outcome against the tenants' rules."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "multi-tenant"))

import tenants  # noqa: E402


def test_multi_tenant_example(mnemo_factory, capsys):
    s = mnemo_factory()
    outcomes, log = tenants.run(s.port)
    allowed = {k for k, v in outcomes.items() if v}
    assert allowed == {"t1 set own", "t1 get own", "t1 publish own", "t1 eval own", "t2 set own", "ro get own"}
    reasons = {(e["username"], e["reason"], e["context"], e["object"]) for e in log}
    assert ("tenant1", "key", "lua", "tenant2:plan") in reasons
    assert ("tenant1", "channel", "toplevel", "tenant2:events") in reasons
    assert ("tenant1", "command", "toplevel", "flushall") in reasons
    assert ("tenant1-ro", "command", "toplevel", "set") in reasons
    out = capsys.readouterr().out
    assert "REFUSED  EVAL reading tenant2:plan" in out and "ACL LOG" in out
