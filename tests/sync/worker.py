"""A window as a separate process (for kill -9 tests):

    python -m tests.sync.worker DATA_DIR URL N_RECORDS MACHINE_ID [SYNC_ROUNDS [BATCH PAGE]]

Creates N consultations, then syncs. XINGAN_SYNC_FAULT=<point> makes it die at that point.
"""

from __future__ import annotations

import sys

from tests.conftest import ADMIN_PASSWORD, GOOD_CONSULTATION
from xingan_desk.desk import Desk
from xingan_desk.sync.client import SyncClient

NAMES = "甲乙丙丁戊己庚辛壬癸"


def main(argv: list[str]) -> int:
    data_dir, url, n, machine_id = argv[0], argv[1], int(argv[2]), argv[3]
    rounds = int(argv[4]) if len(argv) > 4 else 1
    batch = int(argv[5]) if len(argv) > 5 else 4
    page = int(argv[6]) if len(argv) > 6 else 3
    desk = Desk.open(data_dir, password=ADMIN_PASSWORD)  # unlocks the encrypted store
    desk.use_account("admin")
    for i in range(n):
        desk.create("consultation", {**GOOD_CONSULTATION,
                                     "visitor_name": "访客" + NAMES[i % len(NAMES)]},
                    register_enterprise=False)
    client = SyncClient(desk, url, machine_id=machine_id, page_size=page, batch_size=batch,
                        apply_batch=page)
    for _ in range(rounds):
        client.run_once()
    desk.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
