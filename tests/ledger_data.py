"""Valid values of the plan's ledgers (records/ledger_kinds.py) shared by the tests."""

from __future__ import annotations

from typing import Any

# a valid invention patent number (check digit) and enterprise credit code of the League
INVENTION_NO = "ZL201310699744.2"
USCC = "91152201MA0N12340P"

PATENT: dict[str, Any] = {
    "patent_no": INVENTION_NO,
    "title": "一种沙棘黄酮的提取纯化方法",
    "patentee_name": "兴安盟沙棘生物科技有限公司",
    "patentee_uscc": USCC,
    "county_code": "152223",
    "filed_on": "2013-12-18",
    "granted_on": "2016-05-04",
    "ipc_main": "C07D 311/30",
    "legal_status": "有效",
    "sei_field": "生物产业",
    "overseas_family": "美国、欧洲专利局",
    "awards": [{"award": "中国专利奖", "level": "优秀奖", "year": 2024}],
    "in_pool": True,
    "pool_year": 2024,
    "portfolio": "兴安盟生物发酵高价值专利组合",
}

PLEDGE: dict[str, Any] = {
    "surveyed_on": "2025-02-10",
    "enterprise_name": "兴安盟沙棘生物科技有限公司",
    "enterprise_uscc": USCC,
    "county_code": "152223",
    "contact_name": "王芳",
    "contact_phone": "13912345678",
    "amount_wanted_wan": "1500",
    "ip_offered": INVENTION_NO,
    "preferred_bank": "中国银行兴安盟分行",
}
PLEDGE_REGISTER: dict[str, Any] = {
    "pledgee": "中国银行兴安盟分行", "amount_wan": "1200", "term_months": "24",
    "registration_no": "Y2025980000123", "registered_on": "2025-03-20",
    "pledged_patents": INVENTION_NO,
}

INSURANCE: dict[str, Any] = {
    "insured_name": "兴安盟沙棘生物科技有限公司",
    "insured_uscc": USCC,
    "county_code": "152223",
    "insurer": "中国人民财产保险股份有限公司兴安盟分公司",
    "product": "专利执行保险",
    "policy_no": "PZAE202515220001",
    "ip_numbers": INVENTION_NO,
    "sum_insured_wan": "100",
    "premium_wan": "1.5",
    "starts_on": "2025-04-01",
    "ends_on": "2026-03-31",
}

NAVIGATION: dict[str, Any] = {
    "name": "兴安盟绿色农畜产品加工产业专利导航",
    "nav_type": "产业规划类",
    "industry": "绿色农畜产品加工",
    "county_code": "152223",
    "lead_unit": "扎赉特旗市场监督管理局",
    "partners": "内蒙古知识产权保护中心",
    "budget_wan": "50",
    "starts_on": "2025-05-01",
    "ends_on": "2026-04-30",
    "progress": "实施中",
}

AGENCY: dict[str, Any] = {
    "name": "内蒙古智诚知识产权代理有限公司兴安盟分公司",
    "agency_code": "15101",
    "licence_no": "151010012",
    "licensed_on": "2019-06-01",
    "is_branch": True,
    "parent_name": "内蒙古智诚知识产权代理有限公司",
    "county_code": "152223",
    "serving_since": "2025-06-01",
}

LEDGERS: dict[str, dict[str, Any]] = {
    "patent": PATENT, "pledge": PLEDGE, "insurance": INSURANCE, "navigation": NAVIGATION,
    "agency": AGENCY,
}
