"""Durability, snapshots, recovery, DUMP/RESTORE and RDB interop with a real redis-server."""

import glob
import os
import shutil
import signal
import subprocess
import time

import pytest
import redis

from support import MnemoProcess, mnemo_binary, wait_until


def fill(c, n=200, prefix="k"):
    pipe = c.pipeline(transaction=False)
    for i in range(n):
        pipe.set(f"{prefix}{i}", f"value-{i}" * (1 + i % 7))
    pipe.set("counter", 41)
    pipe.incr("counter")
    pipe.set("withttl", "x", ex=1000)
    pipe.incrbyfloat("float", "1.5")
    pipe.execute()


def digest(c):
    return c.execute_command("DEBUG", "DIGEST")


def test_restart_after_sigkill_replays_the_log(mnemo_factory):
    s = mnemo_factory()
    c = s.client()
    fill(c)
    c.select(3)
    c.set("in-db-3", "yes")
    before = digest(c)
    s.kill()
    s.start()
    c = s.client()
    assert digest(c) == before
    assert c.get("counter") == b"42"
    assert 990 < c.ttl("withttl") <= 1000
    c.select(3)
    assert c.get("in-db-3") == b"yes"


def test_snapshot_plus_log_restores_the_same_digest(mnemo_factory):
    s = mnemo_factory()
    c = s.client()
    assert c.info("persistence")["mnemo_snapshot_capture_usec"] == -1  # none taken yet
    fill(c, prefix="a")
    assert c.bgsave() in (True, b"Background saving started", "Background saving started")
    wait_until(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, message="bgsave to finish")
    # The engine's share of BGSAVE (Redis's fork) is measured: a capture, not the whole save.
    assert 0 <= c.info("persistence")["mnemo_snapshot_capture_usec"] < 1_000_000
    fill(c, prefix="b")  # after the snapshot: only in the log
    c.delete("a1")
    before = digest(c)
    snaps = glob.glob(os.path.join(s.dir, "appendonlydir", "snapshot-*.rdb"))
    assert snaps, "no snapshot file"
    s.kill()
    s.start()
    assert digest(s.client()) == before
    # The snapshot is a real RDB file.
    out = subprocess.run(["redis-check-rdb", snaps[-1]], capture_output=True, text=True)
    assert "RDB looks OK" in out.stdout, out.stdout


def test_rdbcompression_decides_how_snapshots_store_long_strings(mnemo_factory):
    s = mnemo_factory()
    c = s.client()
    value = b"z" * 5000
    c.set("long", value)
    snapdir = os.path.join(s.dir, "appendonlydir")
    sizes = {}
    for setting in ("no", "yes"):
        assert c.config_set("rdbcompression", setting)
        c.set("marker", setting)  # a new log sequence, so a new snapshot file
        assert c.save()
        newest = sorted(glob.glob(os.path.join(snapdir, "snapshot-*.rdb")))[-1]
        with open(newest, "rb") as f:
            data = f.read()
        sizes[setting] = len(data)
        assert (value in data) == (setting == "no"), setting
    assert sizes["yes"] < sizes["no"] - 4000
    s.kill()
    s.start()
    assert s.client().get("long") == value


def test_save_lastsave_bgrewriteaof_and_info(mnemo_factory):
    s = mnemo_factory()
    c = s.client()
    fill(c, 50)
    t0 = c.lastsave()
    time.sleep(1.1)
    assert c.save()
    assert c.lastsave() > t0
    info = c.info("persistence")
    assert info["aof_enabled"] == 1
    assert info["rdb_changes_since_last_save"] == 0
    assert info["loading"] == 0
    c.set("x", "y")
    assert c.info("persistence")["rdb_changes_since_last_save"] >= 1
    c.bgrewriteaof()
    wait_until(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0, message="rewrite")
    # Segments wholly covered by the retained snapshots are gone: restart still has everything.
    before = digest(c)
    s.stop()
    s.start()
    assert digest(s.client()) == before


def test_debug_reload_keeps_state(mnemo_factory):
    s = mnemo_factory()
    c = s.client()
    fill(c)
    before = digest(c)
    assert c.execute_command("DEBUG", "RELOAD") in (b"OK", "OK", True)
    assert digest(c) == before
    assert c.execute_command("DEBUG", "DIGEST-VALUE", "k1") != c.execute_command("DEBUG", "DIGEST-VALUE", "k2")


def test_mnemo_rdb_loads_into_real_redis(mnemo_factory, redis_factory):
    s = mnemo_factory()
    c = s.client()
    fill(c)
    c.set("big", "z" * 5000)  # LZF compressed
    c.save()
    rdb = os.path.join(s.dir, "dump.rdb")
    assert os.path.exists(rdb)
    rdir = os.path.join(s.dir, "redis-import")
    os.makedirs(rdir)
    shutil.copy(rdb, os.path.join(rdir, "dump.rdb"))
    real = redis_factory(args=["--dbfilename", "dump.rdb"], dir=rdir)
    rc = real.client()
    assert rc.dbsize() == c.dbsize()
    assert rc.get("k5") == c.get("k5")
    assert rc.get("big") == b"z" * 5000
    assert rc.get("counter") == b"42"
    assert 0 < rc.ttl("withttl") <= 1000


def test_redis_rdb_imports_into_mnemo_and_log_builds_on_it(redis_factory, tmp_path):
    rdir = str(tmp_path / "from-redis")
    os.makedirs(rdir)
    real = redis_factory(dir=rdir)
    rc = real.client()
    pipe = rc.pipeline(transaction=False)
    for i in range(300):
        pipe.set(f"r{i}", str(i) if i % 2 else f"text-{i}" * 10)
    pipe.set("exp", "v", ex=500)
    pipe.execute()
    rc.save()
    mdir = str(tmp_path / "mnemo")
    os.makedirs(mdir)
    shutil.copy(os.path.join(rdir, "dump.rdb"), os.path.join(mdir, "imported.rdb"))
    m = MnemoProcess(args=["--dbfilename", "imported.rdb"], dir=mdir)
    try:
        m.start()
        mc = m.client()
        assert mc.dbsize() == 301
        assert mc.get("r7") == b"7" and mc.get("r8") == b"text-8" * 10
        assert 0 < mc.ttl("exp") <= 500
        mc.set("after-import", "1")
        m.kill()
        m.start()
        mc = m.client()
        assert mc.dbsize() == 302
        assert mc.get("after-import") == b"1"
    finally:
        m.stop()
        m.cleanup()


def test_dump_restore_both_ways_with_real_redis(mnemo, redis_server):
    m = mnemo.client()
    o = redis_server.client()
    m.flushall()
    o.flushall()
    for value in [b"hello", b"12345", b"-7", b"x" * 1000, bytes(range(256))]:
        o.set("src", value)
        payload = o.dump("src")
        m.delete("src")
        assert m.dump("src") is None
        m.set("src", value)
        assert m.dump("src") == payload, f"payload differs for {value[:20]!r}"
        m.restore("fromredis", 0, payload, replace=True)
        assert m.get("fromredis") == value
        o.restore("frommnemo", 0, m.dump("src"), replace=True)
        assert o.get("frommnemo") == value
    with pytest.raises(redis.ResponseError, match="BUSYKEY Target key name already exists"):
        m.restore("fromredis", 0, payload)
    with pytest.raises(redis.ResponseError, match="DUMP payload version or checksum are wrong"):
        m.restore("bad", 0, payload[:-1] + bytes([payload[-1] ^ 1]))
    m.restore("ttl", 5000, payload)
    assert 0 < m.pttl("ttl") <= 5000
    with pytest.raises(redis.ResponseError, match="Invalid TTL value"):
        m.restore("neg", -1, payload)


def test_torn_tail_is_truncated_and_mid_log_corruption_stops_startup(mnemo_factory):
    s = mnemo_factory()
    c = s.client()
    for i in range(50):
        c.set(f"k{i}", i)
    s.kill()
    seg = sorted(glob.glob(os.path.join(s.dir, "appendonlydir", "log-*.seg")))[-1]
    # The segment ends in preallocated zeros: the records end where they stop.
    with open(seg, "rb") as f:
        data = f.read()
    size = len(data.rstrip(b"\0"))
    assert len(data) > size and len(data) % (1 << 20) == 0
    # A torn last record: half of a record written where the next one would go.
    with open(seg, "r+b") as f:
        f.seek(size)
        f.write(b"\x40\x00\x00\x00\x12\x34")
    s.start()
    assert s.client().dbsize() == 50
    s.kill()
    with open(seg, "rb") as f:
        assert f.read().rstrip(b"\0") == data[:size]
    # Damage in the middle: start-up must refuse, naming file and offset.
    with open(seg, "r+b") as f:
        f.seek(size // 2)
        b = f.read(1)
        f.seek(size // 2)
        f.write(bytes([b[0] ^ 0xFF]))
    with pytest.raises(RuntimeError) as e:
        s.start()
    assert "log-" in str(e.value) and "offset" in str(e.value)
    check = subprocess.run([mnemo_binary(), "--check-log", s.dir], capture_output=True, text=True)
    assert check.returncode == 1 and "offset" in check.stdout
    fix = subprocess.run([mnemo_binary(), "--check-log", "--fix", s.dir], capture_output=True, text=True)
    assert fix.returncode == 0, fix.stdout
    s.start()
    n = s.client().dbsize()
    assert 0 < n < 50


def test_write_errors_refuse_writes_keep_reads_and_recover(mnemo_factory):
    """A log that cannot be written (here: a file-size limit, as a full disk) → -MISCONF for
    writes, reads still served; lifting the limit makes the server accept writes again."""
    s = mnemo_factory()
    c = s.client()
    c.set("before", "1")
    seg = sorted(glob.glob(os.path.join(s.dir, "appendonlydir", "log-*.seg")))[-1]
    # The segment is preallocated ahead of the records: the limit bites when it must grow.
    limit = os.path.getsize(seg)
    subprocess.run(["prlimit", f"--pid={s.pid}", f"--fsize={limit}:unlimited"], check=True)
    c2 = s.client(socket_timeout=2)
    # This write cannot become durable: its reply is held, never acknowledged (redis-py may
    # retry after the timeout and then see MISCONF).
    big = b"x" * (limit + 1000)
    with pytest.raises((redis.TimeoutError, redis.ResponseError)):
        c2.set("big", big)
    wait_until(lambda: c.info("persistence")["aof_last_write_status"] == "err", message="write error seen")
    with pytest.raises(redis.ResponseError, match="MISCONF"):
        c.set("refused", "1")
    assert c.get("before") == b"1"
    subprocess.run(["prlimit", f"--pid={s.pid}", "--fsize=unlimited:unlimited"], check=True)
    wait_until(lambda: c.info("persistence")["aof_last_write_status"] == "ok", timeout=10, message="recovery")
    assert c.set("after", "2")
    s.kill()
    s.start()
    c = s.client()
    assert c.get("after") == b"2" and c.get("big") == big


@pytest.mark.parametrize("mode", ["everysec", "no"])
def test_other_fsync_policies_still_recover_after_clean_shutdown(mnemo_factory, mode):
    s = mnemo_factory(args=["--appendfsync", mode])
    c = s.client()
    fill(c, 20)
    before = digest(c)
    s.stop()
    s.start()
    assert digest(s.client()) == before


def test_appendonly_no_keeps_no_log_and_saves_on_shutdown(mnemo_factory):
    s = mnemo_factory(args=["--appendonly", "no"])
    c = s.client()
    fill(c, 20)
    assert c.info("persistence")["aof_enabled"] == 0
    before = digest(c)
    assert not glob.glob(os.path.join(s.dir, "appendonlydir", "log-*.seg"))
    c.shutdown(save=True)
    s.wait_exit()
    s.start()
    assert digest(s.client()) == before
