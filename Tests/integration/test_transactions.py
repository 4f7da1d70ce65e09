"""MULTI / EXEC / DISCARD / WATCH / UNWATCH with Redis 7 semantics."""

import pytest
import redis


def test_exec_runs_queued_commands_atomically(r):
    p = r.pipeline(transaction=True)
    p.set("a", 1).incr("a").get("a").set("s", "x").incr("s").incr("a")
    res = p.execute(raise_on_error=False)
    assert res[:4] == [True, 2, "2", True]
    assert isinstance(res[4], redis.ResponseError) and "not an integer" in str(res[4])  # no rollback
    assert res[5] == 3
    assert r.get("a") == "3"


def test_queue_errors_abort_with_execabort(r):
    r.execute_command("MULTI")
    assert r.execute_command("ECHO", "v") == "QUEUED"
    r.execute_command("SET", "k", "v")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        r.execute_command("SET", "k")
    with pytest.raises(redis.ResponseError, match="unknown command"):
        r.execute_command("NOPE")
    with pytest.raises(redis.ResponseError, match="Transaction discarded because of previous errors"):
        r.execute_command("EXEC")
    assert r.get("k") is None


def test_state_errors(r):
    with pytest.raises(redis.ResponseError, match="EXEC without MULTI"):
        r.execute_command("EXEC")
    with pytest.raises(redis.ResponseError, match="DISCARD without MULTI"):
        r.execute_command("DISCARD")
    r.execute_command("MULTI")
    with pytest.raises(redis.ResponseError, match="MULTI calls can not be nested"):
        r.execute_command("MULTI")
    with pytest.raises(redis.ResponseError, match="WATCH inside MULTI is not allowed"):
        r.execute_command("WATCH", "x")
    assert r.execute_command("DISCARD") == "OK"
    r.execute_command("MULTI")
    with pytest.raises(redis.ResponseError, match="Command not allowed inside a transaction"):
        r.execute_command("SAVE")
    with pytest.raises(redis.ResponseError, match="Transaction discarded"):
        r.execute_command("EXEC")


def test_watch_detects_changes_by_other_clients(mnemo, r):
    other = mnemo.client(decode_responses=True)
    r.set("w", 1)
    r.execute_command("WATCH", "w")
    other.set("w", 2)
    r.execute_command("MULTI")
    r.execute_command("SET", "w", 3)
    assert r.execute_command("EXEC") is None
    assert r.get("w") == "2"
    # UNWATCH forgets; a fresh WATCH with no change succeeds.
    r.execute_command("WATCH", "w")
    r.execute_command("UNWATCH")
    other.set("w", 5)
    r.execute_command("MULTI")
    r.execute_command("SET", "w", 6)
    assert r.execute_command("EXEC") == ["OK"]


@pytest.mark.parametrize("change", [
    ["FLUSHDB"], ["FLUSHALL"], ["DEL", "w"], ["EXPIRE", "w", "100"], ["RENAME", "w", "w2"], ["SWAPDB", "0", "1"],
])
def test_watch_invalidated_by(mnemo, r, change):
    other = mnemo.client(decode_responses=True)
    r.set("w", 1)
    r.execute_command("WATCH", "w")
    other.execute_command(*change)
    r.execute_command("MULTI")
    r.execute_command("PING")
    assert r.execute_command("EXEC") is None


def test_watch_invalidated_by_expiry(r):
    r.set("w", 1, px=50)
    r.execute_command("WATCH", "w")
    import time
    time.sleep(0.1)
    r.execute_command("MULTI")
    r.execute_command("PING")
    assert r.execute_command("EXEC") is None


def test_watched_key_untouched_succeeds_and_exec_unwatches(mnemo, r):
    other = mnemo.client(decode_responses=True)
    r.execute_command("WATCH", "w")
    r.execute_command("MULTI")
    r.execute_command("SET", "w", 1)
    assert r.execute_command("EXEC") == ["OK"]
    other.set("w", 2)  # after EXEC nothing is watched any more
    r.execute_command("MULTI")
    r.execute_command("SET", "w", 3)
    assert r.execute_command("EXEC") == ["OK"]


def test_optimistic_counter_with_redis_py_transaction(mnemo, r):
    r.set("counter", 0)

    def incr(pipe):
        v = int(pipe.get("counter"))
        pipe.multi()
        pipe.set("counter", v + 1)

    for _ in range(20):
        r.transaction(incr, "counter")
    assert r.get("counter") == "20"


def test_exec_is_one_log_record_and_survives_restart(mnemo_factory):
    s = mnemo_factory()
    c = s.client()
    p = c.pipeline(transaction=True)
    for i in range(100):
        p.set(f"t{i}", i)
    p.incr("n")
    p.execute()
    seq = c.info("persistence")["mnemo_log_last_sequence"]
    assert seq == 1, "an EXEC must be one record"
    s.kill()
    s.start()
    c = s.client()
    assert c.get("t99") == b"99" and c.get("n") == b"1"


def test_reset_discards_transaction(r):
    r.execute_command("MULTI")
    r.execute_command("SET", "x", 1)
    assert r.execute_command("RESET") == "RESET"
    with pytest.raises(redis.ResponseError, match="EXEC without MULTI"):
        r.execute_command("EXEC")
    assert r.get("x") is None
