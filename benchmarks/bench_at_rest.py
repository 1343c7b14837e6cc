"""Cost of encryption at rest (SQLCipher), measured in one run against an unencrypted store.

    .venv/bin/python benchmarks/bench_at_rest.py [--records 2000] [--saves 200]

Two stores with the same records: one encrypted (as every new store now is), one unencrypted
(as older versions wrote them; made by exporting the encrypted one). Saves alternate between
the two so that disk noise hits both alike. Start-up is a fresh interpreter opening the store
and reading the record count: encrypted with the key given by the admin password (scrypt: a PC
without a keyring), and the key lookup alone (what a keyring PC pays instead of the scrypt).
Goals: a save within 1.3x of the unencrypted store; start-up within +0.1 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import GOOD_CONSULTATION  # noqa: E402
from xingan_desk.desk import Desk  # noqa: E402
from xingan_desk.storage import db as dbmod  # noqa: E402
from xingan_desk.storage import keys  # noqa: E402

PASSWORD = "Bench2026x"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def make_plain_copy(enc: Desk, dest: Path) -> None:
    """An unencrypted copy of an encrypted store (as an older version would have it)."""
    dest.mkdir(parents=True)
    key = keys.current_key(enc.path)
    assert key is not None
    conn = dbmod.connect_file(enc.path, key)
    conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(dest / enc.path.name),))
    conn.execute("SELECT sqlcipher_export('plain')")
    conn.execute("DETACH DATABASE plain")
    conn.close()


def fill(desk: Desk, n: int) -> None:
    names = "赵钱孙李周吴郑冯陈褚卫蒋沈韩杨"
    desk.create_many("consultation", ({**GOOD_CONSULTATION,
                                       "visitor_name": "王" + names[i % 15] + names[i // 15 % 15]}
                                      for i in range(n)))


def startup(path: Path, password: str | None, repeats: int) -> float:
    code = ("import sys,time;t=time.perf_counter();"
            "from xingan_desk.desk import Desk;"
            "d=Desk.open(sys.argv[1], password=sys.argv[2] or None);"
            "d.identity;print(time.perf_counter()-t)")
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code, str(path), password or ""], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip()))
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--saves", type=int, default=200)
    ap.add_argument("--starts", type=int, default=7)
    args = ap.parse_args()
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # as on a PC without a keyring: never the dev's own
    tmp = Path(tempfile.mkdtemp(prefix="bench-at-rest-"))
    enc = Desk.initialise(tmp / "enc", "152223", "02", admin_password=PASSWORD)
    enc.use_account("admin")
    fill(enc, args.records)
    make_plain_copy(enc, tmp / "plain")
    plain = Desk.open(tmp / "plain")  # no keyring, no password: stays unencrypted
    plain.use_account("admin")
    assert keys.protection(plain.path) == "none" and keys.protection(enc.path) == "password"
    times: dict[str, list[float]] = {"encrypted": [], "plain": []}
    for i in range(args.saves):
        for name, desk in (("encrypted", enc), ("plain", plain))[:: 1 if i % 2 else -1]:
            t = time.perf_counter()
            desk.create("consultation", {**GOOD_CONSULTATION, "visitor_name": "张" + "赵钱孙李周吴郑冯陈褚"[i % 10]})
            times[name].append((time.perf_counter() - t) * 1000)
    em, pm = statistics.median(times["encrypted"]), statistics.median(times["plain"])
    ep, pp = pct(times["encrypted"], 95), pct(times["plain"], 95)
    print(f"records per store: {args.records}, saves each: {args.saves}")
    print(f"save median: encrypted {em:.2f} ms, plain {pm:.2f} ms, ratio {em / pm:.2f}x "
          "(goal <= 1.3x)")
    print(f"save p95:    encrypted {ep:.2f} ms, plain {pp:.2f} ms, ratio {ep / pp:.2f}x")
    enc.close()
    plain.close()
    # the key lookup alone, without scrypt (a keyring PC reads the key instead)
    kf = keys.read_keyfile(enc.path)
    assert kf is not None
    t = time.perf_counter()
    for _ in range(20):
        keys.forget_all()
        keys.key_from(kf, PASSWORD)
    scrypt_s = (time.perf_counter() - t) / 20
    s_enc = startup(enc.directory, PASSWORD, args.starts)
    s_plain = startup(plain.directory, None, args.starts)
    print(f"start-up (fresh interpreter, open + first read): encrypted {s_enc:.3f} s, "
          f"plain {s_plain:.3f} s, difference {s_enc - s_plain:+.3f} s (goal <= +0.1 s)")
    print(f"  of which unlocking the key with the admin password (scrypt): {scrypt_s:.3f} s; "
          f"with a keyring: {s_enc - s_plain - scrypt_s:+.3f} s")


if __name__ == "__main__":
    main()
