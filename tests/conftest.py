"""Shared fixtures. Qt runs offscreen; every test gets its own store in a temp directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Hermetic to the user's environment: the app reads XINGAN_DESK_HOME, XINGAN_DESK_PASSWORD,
# XINGAN_DESK_DEBUG … and the sync commands XINGAN_CENTRAL_URL. Removed at import (so the
# subprocesses tests start inherit none of them) and again around every test; a test that
# needs one sets it explicitly (monkeypatch.setenv or a subprocess env).
_APP_ENV_PREFIXES = ("XINGAN_DESK_", "XINGAN_CENTRAL_")


def _app_env() -> list[str]:
    return [k for k in os.environ if k.startswith(_APP_ENV_PREFIXES)]


for _name in _app_env():
    del os.environ[_name]


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _app_env():
        monkeypatch.delenv(name)


ADMIN_PASSWORD = "Admin2026x"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Any]:
    from xingan_desk.desk import Desk

    d = Desk.initialise(tmp_path / "store", "152223", "02", admin_password=ADMIN_PASSWORD)
    d.use_account("admin")
    yield d
    d.close()


GOOD_CONSULTATION: dict[str, Any] = {
    "started_at": "2026-03-02 09:10",
    "channel": "onsite",
    "first_responder": "李娜",
    "visitor_type": "enterprise",
    "visitor_name": "王芳",
    "visitor_phone": "13812345678",
    "enterprise_name": "兴安新材料有限公司",
    "enterprise_uscc": "91152201MA0N12340P",
    "topics": ["preexam", "policy"],
    "question": "新材料企业如何通过预审通道加快专利审查？",
    "answer": "可先办理预审备案，备案通过后提交预审。",
    "handling": "answered",
}

GOOD_MEDIATION: dict[str, Any] = {
    "source": "application",
    "applied_on": "2026-03-02",
    "applicants": [{"party_type": "org", "name": "扎赉特旗丰收农机制造有限公司",
                    "uscc": "93152223MA0R5K6L3R", "legal_rep": "张建国",
                    "phone": "0482-6012345"}],
    "respondents": [{"party_type": "org", "name": "突泉县某农机有限公司",
                     "uscc": "92152224MA7Q000118"}],
    "right_type": "patent",
    "right_no": "ZL 201310699744.2",
    "dispute_type": "infringement",
    "facts": "被申请人生产销售的播种机落入申请人专利权保护范围。",
    "claims": "请求被申请人停止生产销售并赔偿损失。",
}
