"""Realistic demo data for every record kind (command `xingan-desk demo`, screenshots, trials).

Everything goes through the Desk like a clerk's input: `create_many` for the bulk of each kind
(one transaction per 500 rows), `act` for the status actions, so every record is validated,
numbered, audited and queued for sync exactly like real work. Nothing here writes to the store
directly.

The data is deterministic for a seed (on a fresh store): names, credit codes, ID numbers, dates
and the workflow states reached. Codes are valid by construction: 统一社会信用代码 with the
League's county codes and both check characters (GB 11714 and GB 32100), 18-digit ID numbers with
1522xx address codes and the ISO 7064 check, patent application numbers with their check digit,
mobile numbers in real number ranges. Dates lie in the last 12 months and never in the future.

Accounts (created by the admin if missing, password DEMO_PASSWORD): the clerk 李娜 registers all
records, the mediator 赵敏 handles mediations, the supervisor 孙伟 verifies 差评.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import validation as v
from .catalogs import active_choices, county_name
from .errors import PermissionDenied
from .records.kinds import KINDS
from .timeutil import CST, today_cst, utcnow
from .views import Query, RecordView

if TYPE_CHECKING:
    from .desk import Desk

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "KIND_ORDER", "SHARES", "generate", "plan"]

DEMO_PASSWORD = "Demo2026pass"
CLERK = ("lina", "李娜", "clerk")
MEDIATOR = ("zhaomin", "赵敏", "mediator")
SUPERVISOR = ("supervisor", "孙伟", "supervisor")
DEMO_USERS = (CLERK, MEDIATOR, SUPERVISOR)

# creation order (later kinds refer to earlier ones)
KIND_ORDER = ("enterprise", "consultation", "preexam_filing", "preexam_case", "mediation", "rating")
SHARES = {
    "enterprise": 0.15,
    "consultation": 0.40,
    "preexam_filing": 0.10,
    "preexam_case": 0.10,
    "mediation": 0.05,
    "rating": 0.20,
}
CHUNK = 500  # rows per create_many call (= one transaction in Desk)

Progress = Callable[[int, int], None]  # (records created, records planned)

# --- people ------------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_SURNAMES = (
    "王王王李李李张张张刘刘刘陈陈杨杨赵赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董"
    "萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔"
    "白白包包宝鲍佟关那邢"
)
_GIVEN = {
    "male": {
        1: "伟强磊军勇杰涛明超刚斌鑫浩峰宇辉健亮波龙林东博平",
        2: _words(
            "建国 志强 晓东 宏伟 建华 振华 浩然 宇轩 一鸣 俊杰 晓峰 立新 金龙 海涛 国庆 文博 子豪 "
            "志刚 永军 树林 长青 铁柱 德胜 明远 嘉豪 天佑 雨泽 凯文"
        ),
        "rare": ("赟", "堃", "喆", "犇", "燚", "翀", "昇", "晓堃", "一喆", "子赟", "鹏翀", "䶮"),
        "mongol": _words(
            "巴特尔 额尔敦 图门 朝鲁 阿拉坦仓 宝音 特木尔 巴雅尔 孟和 敖其尔 哈斯 毕力格 "
            "苏和 巴图 额尔德木图 宝力道"
        ),
    },
    "female": {
        1: "芳敏静丽艳娟霞婷玲雪丹慧萍颖琳洁倩佳瑶薇晶蕾",
        2: _words(
            "秀英 桂兰 海燕 春梅 丽娟 玉兰 红梅 文静 子涵 雨桐 欣怡 佳琪 凤霞 淑珍 晓燕 思琪 "
            "丽华 秀兰 雅婷 梦瑶 婉清 美玲 冬梅 亚楠"
        ),
        "rare": ("淼", "珺", "玥", "旻", "婧", "垚", "芃", "晓珺", "思玥", "一淼"),
        "mongol": _words(
            "乌日娜 其其格 斯琴高娃 苏日娜 图雅 那仁花 萨仁 乌兰 娜仁 格日勒 高娃 其木格 "
            "塔娜 阿如娜 萨日朗 乌云"
        ),
    },
}
_ETHNIC_HAN = (("汉族", 88), ("蒙古族", 6), ("满族", 4), ("回族", 2))
_MOBILE_PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 "
    "173 175 176 177 180 181 182 183 185 186 187 188 189 191 195 198 199"
)
_OCCUPATIONS = ("个体工商户", "农民", "企业职工", "自由职业", "教师", "技术员", "销售人员", "退休")


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    gender: str  # "male" | "female" (catalog genders)
    ethnicity: str
    mobile: str


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights)[0]


def _mobile(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _landline(rng: random.Random) -> str:
    return f"0482-{rng.choice('2345678')}{rng.randrange(10**6):06d}"


def _person(rng: random.Random, gender: str | None = None) -> Person:
    gender = gender or rng.choice(("male", "female"))
    pool = _GIVEN[gender]
    r = rng.random()
    if r < 0.12:  # Mongolian names are usually written without a surname
        return Person(rng.choice(pool["mongol"]), gender, "蒙古族", _mobile(rng))
    surname = rng.choice(_SURNAMES)
    if r < 0.17:
        given = rng.choice(pool["rare"])
    elif r < 0.47:
        given = rng.choice(pool[1])
    else:
        given = rng.choice(pool[2])
    ethnicity = "蒙古族" if surname in "包宝鲍白" and rng.random() < 0.7 else _weighted(rng, _ETHNIC_HAN)
    return Person(surname + given, gender, ethnicity, _mobile(rng))


def _id_number(rng: random.Random, person: Person, today: dt.date) -> str:
    county = rng.choice(LEAGUE_COUNTIES)
    born = dt.date(rng.randint(1958, today.year - 20), rng.randint(1, 12), rng.randint(1, 28))
    seq = rng.randrange(100)
    sex = rng.choice("13579" if person.gender == "male" else "02468")
    first17 = f"{county}{born:%Y%m%d}{seq:02d}{sex}"
    return first17 + v.id_check_char(first17)


# --- places and enterprises --------------------------------------------------------------------

LEAGUE_COUNTIES = ("152201", "152202", "152221", "152222", "152223", "152224")
_COUNTY_WEIGHTS = (("152201", 34), ("152202", 9), ("152221", 16), ("152222", 12),
                   ("152223", 16), ("152224", 13))
_TOWNS = {
    "152201": ("爱国街道", "和平街道", "兴安街道", "胜利街道", "铁西街道", "都林街道", "五一街道",
               "城郊街道", "新城街道", "天骄街道", "乌兰哈达镇", "葛根庙镇", "太本站镇", "义勒力特镇",
               "兴安盟经济技术开发区"),
    "152202": ("林海街道", "新城街道", "温泉街道", "伊尔施街道", "天池镇", "白狼镇", "五岔沟镇",
               "明水河镇"),
    "152221": ("科尔沁镇", "索伦镇", "德伯斯镇", "大石寨镇", "归流河镇", "居力很镇", "察尔森镇",
               "额尔格图镇", "俄体镇", "满族屯满族乡", "乌兰毛都苏木"),
    "152222": ("巴彦呼舒镇", "巴仁哲里木镇", "吐列毛杜镇", "杜尔基镇", "高力板镇", "好腰苏木镇",
               "代钦塔拉苏木", "新佳木苏木"),
    "152223": ("音德尔镇", "新林镇", "巴彦高勒镇", "胡尔勒镇", "阿尔本格勒镇", "巴达尔胡镇",
               "图牧吉镇", "好力保镇", "巴彦乌兰苏木"),
    "152224": ("突泉镇", "六户镇", "东杜尔基镇", "永安镇", "水泉镇", "宝石镇", "学田乡", "九龙乡",
               "太平乡"),
}
_STREETS = ("兴安南大街", "兴安北大街", "五一北路", "罕山东街", "和平路", "乌兰大街", "新华街",
            "团结路", "民族街", "振兴路", "工业园区纬二路", "工业园区经三路", "富民路", "建设街",
            "育才路", "胜利大街", "迎宾路", "站前街")
_BRANDS = _words(
    "绿源 兴安 蒙源 科沁 草原 金穗 北疆 丰泽 瑞丰 宏达 恒信 天骄 罕山 洮儿河 归流河 索伦 白狼 林海 "
    "绰尔 哈拉哈 嫩江 金禾 沃野 伊和 塔拉 乌兰 蒙佳 牧歌 圣泉 兴丰 鑫达 华瑞 宏盛 佳和 博远 "
    "神骏 银河 金秋 蒙兴 亿丰 福瑞 安泰 嘉禾 凯盛 众诚 德润 丰源 北辰 禾丰 泰和 万隆 东升"
)
_INDUSTRY_WEIGHTS = (("green_agri", 24), ("new_materials", 15), ("bio", 15),
                     ("agri_machinery", 14), ("new_energy", 10), ("biopharma", 9),
                     ("energy_saving", 8), ("other", 5))
_INDUSTRY_WORDS = {
    "new_materials": ("新材料科技", "石墨新材料", "碳基材料", "高分子材料", "新型建材", "硅材料"),
    "bio": ("生物科技", "生物工程", "生物技术", "微生物科技"),
    "biopharma": ("蒙药制药", "生物制药", "药业", "中蒙药科技"),
    "agri_machinery": ("农机制造", "农牧机械", "机械制造", "农业装备"),
    "new_energy": ("新能源", "风电设备", "光伏科技", "氢能科技", "储能科技"),
    "energy_saving": ("节能环保科技", "环保科技", "节能科技"),
    "green_agri": ("绿色农业", "米业", "乳业", "肉业", "杂粮", "食品", "牧业", "沙棘产业"),
    "other": ("信息技术", "文化传媒", "电子商务", "检测技术"),
}
_MAIN_BUSINESS = {
    "new_materials": ("石墨及碳素制品、石墨烯改性材料的研发与生产", "高性能复合材料及新型建筑材料生产销售",
                      "硅基新材料、稀土功能材料研发与销售"),
    "bio": ("微生物菌剂、发酵饲料的研发、生产与销售", "植物提取物及生物制品研发",
            "农业生物技术开发、技术咨询与成果转让"),
    "biopharma": ("蒙药制剂的研发、生产与销售", "兽用生物制品研发与生产", "中蒙药材种植与饮片加工"),
    "agri_machinery": ("播种机、秸秆打捆机等农牧业机械的制造与销售", "农机配件加工与农机维修服务"),
    "new_energy": ("风力发电设备制造与运维服务", "光伏电站建设运营及储能系统集成",
                   "绿氢制备装备研发与技术服务"),
    "energy_saving": ("工业固废综合利用与节能技术服务", "污水处理设备及环保工程"),
    "green_agri": ("大米种植、加工与销售", "牛羊肉屠宰分割与冷链销售", "乳制品加工与销售",
                   "杂粮杂豆种植加工", "沙棘果汁及沙棘制品加工"),
    "other": ("软件开发与信息系统集成", "广告设计与文化活动策划", "农产品电子商务"),
}
_COOPERATIVES = (("水稻", "种植农民专业合作社"), ("杂粮", "种植农民专业合作社"),
                 ("沙棘", "种植农民专业合作社"), ("肉牛", "养殖专业合作社"), ("肉羊", "养殖专业合作社"),
                 ("奶牛", "养殖专业合作社"))
_PREEXAM_FIELD = {"bio": "bio", "biopharma": "bio", "new_materials": "new_materials"}
_SUB_FIELDS = {
    "bio": ("微生物发酵", "动物疫苗", "植物提取", "蒙药制剂", "饲料添加剂"),
    "new_materials": ("石墨及碳材料", "稀土功能材料", "高性能纤维", "硅基材料", "可降解材料"),
    "other": ("农业机械", "新能源装备", "节能环保"),
}


@dataclass(slots=True)
class Enterprise:
    uscc: str
    name: str
    county: str
    industry: str
    address: str
    legal_rep: Person
    contact: Person
    contact_phone: str
    invention: int
    utility: int
    design: int
    has_ip_rules: bool
    gb29490: bool
    key_support: bool
    receipt: str = ""


def _org_check(first8: str) -> str:
    """GB 11714 check character of the organisation code embedded at USCC positions 9–17."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    r = 11 - sum(int(c, 36) * w for c, w in zip(first8, weights, strict=True)) % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def _uscc(rng: random.Random, county: str, category: str = "1") -> str:
    """A valid 统一社会信用代码: 9 (market regulation) + category + county + org code + check."""
    if rng.random() < 0.6:  # codes issued since 2015 start with MA
        body = "MA" + "".join(rng.choice(v.USCC_ALPHABET) for _ in range(6))
    else:
        body = f"{rng.randrange(10**8):08d}"
    first17 = f"9{category}{county}{body}{_org_check(body)}"
    return first17 + v.uscc_check_char(first17)


def _address(rng: random.Random, county: str) -> str:
    town = rng.choice(_TOWNS[county])
    return f"内蒙古自治区兴安盟{county_name(county)}{town}{rng.choice(_STREETS)}{rng.randint(1, 399)}号"


# --- patents -----------------------------------------------------------------------------------

# (title, main IPC, extra IPC, technical field) by pre-examination field and patent type
_CASES = {
    ("bio", "invention"): (
        ("一种沙棘黄酮的提取纯化方法", "C07D 311/30", "A61K 36/185", "植物提取"),
        ("一种复合微生物发酵饲料及其制备方法", "A23K 10/18", "C12N 1/20", "微生物发酵"),
        ("一种耐寒水稻根际促生菌及其应用", "C12N 1/20", "C05F 11/08", "农业微生物"),
        ("一种牛源乳酸菌冻干保护剂及其制备方法", "C12N 1/04", "C12R 1/225", "微生物制剂"),
        ("一种秸秆降解复合菌剂及其制备方法", "C12N 1/14", "C05F 17/20", "农业微生物"),
        ("一种蒙药复方制剂中没食子酸的含量测定方法", "G01N 30/02", "A61K 36/00", "蒙药检测"),
        ("一种羊源多杀性巴氏杆菌灭活疫苗及其制备方法", "A61K 39/102", "A61P 31/04", "动物疫苗"),
    ),
    ("bio", "utility"): (
        ("一种微生物发酵罐温控装置", "C12M 1/36", "", "发酵设备"),
        ("一种发酵饲料混合搅拌装置", "A23N 17/00", "", "饲料加工"),
        ("一种植物提取液浓缩装置", "B01D 1/22", "", "提取设备"),
    ),
    ("new_materials", "invention"): (
        ("一种石墨烯改性聚丙烯复合材料及其制备方法", "C08L 23/12", "C08K 3/04", "高分子复合材料"),
        ("一种高导热石墨膜的制备方法", "C01B 32/205", "", "碳材料"),
        ("一种稀土掺杂长余辉发光材料及其制备方法", "C09K 11/77", "", "稀土功能材料"),
        ("一种玄武岩纤维增强混凝土及其制备方法", "C04B 28/04", "C04B 14/46", "建筑材料"),
        ("一种可降解农用地膜及其制备方法", "C08L 67/02", "A01G 13/02", "可降解材料"),
        ("一种碳纤维增强铝基复合材料的制备方法", "C22C 49/06", "C22C 47/14", "金属基复合材料"),
    ),
    ("new_materials", "utility"): (
        ("一种石墨粉体气流分级装置", "B07B 7/08", "", "粉体加工"),
        ("一种复合材料热压成型模具", "B29C 43/36", "", "成型设备"),
        ("一种碳化硅坩埚冷却架", "C30B 35/00", "", "晶体材料"),
    ),
    ("other", "invention"): (
        ("一种玉米免耕播种机的排种装置及控制方法", "A01C 7/20", "A01C 7/08", "农业机械"),
        ("一种风电叶片除冰方法", "F03D 80/40", "", "风力发电"),
    ),
    ("other", "utility"): (
        ("一种秸秆捡拾打捆机的喂入机构", "A01F 15/10", "", "农业机械"),
        ("一种光伏板清扫机器人", "H02S 40/10", "", "光伏发电"),
    ),
}
_AGENCIES = (
    ("内蒙古智诚知识产权代理有限公司", "15101"),
    ("呼和浩特市北辰专利代理事务所（普通合伙）", "15102"),
    ("兴安盟华科专利代理事务所（普通合伙）", "15105"),
    ("北京金信知识产权代理有限公司", "11262"),
)
_COURTS = ("乌兰浩特市人民法院", "扎赉特旗人民法院", "科尔沁右翼前旗人民法院", "突泉县人民法院",
           "兴安盟中级人民法院")


def _application_no(rng: random.Random, year: int, patent_type: str) -> str:
    body = f"{year}{'1' if patent_type == 'invention' else '2'}{rng.randrange(1, 10**7):07d}"
    return f"{body}.{v.patent_check_char(body)}"


def _grant_pub_no(rng: random.Random, patent_type: str) -> str:
    if patent_type == "invention":
        return f"CN11{rng.randrange(10**7):07d}B"
    return f"CN22{rng.randrange(10**7):07d}U"


# --- consultation texts --------------------------------------------------------------------------

_POLICY = "《兴安盟高价值知识产权培育实施方案（2022—2025年）》（兴署办发〔2022〕47号）"
_PREEXAM_RULES = "《专利申请预审业务管理办法（试行）》（国知办发办字〔2023〕25号）"
_TOPIC_TEXTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "preexam": (
        ("企业从事{product}研发，想了解在内蒙古知识产权保护中心办理专利预审备案的条件和材料。",
         "已告知备案主体条件：在自治区内注册、具有独立法人资格、以第一申请人拥有至少1件有效发明专利、"
         "近两年无非正常专利申请等失信记录；提供了备案材料清单，并说明预审服务不收费。", _PREEXAM_RULES),
        ("询问预审案件从提交到授权大约需要多长时间，以及预审合格后如何正式提交申请。",
         "已说明预审合格后应在规定期限内通过专利业务办理系统正式提交，且提交文件须与预审文件一致；"
         "发明专利经预审授权周期明显缩短。", _PREEXAM_RULES),
    ),
    "pledge": (
        ("企业流动资金紧张，想用{n}件发明专利办理知识产权质押融资，咨询办理流程和贴息政策。",
         "已介绍质押融资流程（评估、银行审批、质押登记）及盟内贴息补助政策，推荐与合作银行对接。", _POLICY),
        ("咨询商标专用权能否质押贷款，以及质押登记在哪里办理。",
         "已告知商标专用权可以质押，质押登记可通过国家知识产权局商标局网上办理，并提供了材料清单。", ""),
    ),
    "standard": (
        ("企业准备开展知识产权贯标，咨询GB/T 29490-2023认证的流程和需要的时间。",
         "已说明贯标需经过诊断、体系文件编制、体系运行不少于3个月、内审和管理评审后申请认证，"
         "新版标准自2024年1月1日起实施。", ""),
    ),
    "protection": (
        ("发现市场上有产品涉嫌仿冒本企业{product}的外观设计专利，咨询维权途径。",
         "已告知可向市场监管部门请求处理、申请人民调解或向法院起诉，建议先固定证据（公证购买、拍照留存）。",
         "《中华人民共和国专利法》"),
        ("网店销售的产品使用了与本企业注册商标近似的标识，咨询如何投诉。",
         "已告知可向电商平台投诉并向市场监管部门举报，提供了侵权投诉材料清单。", ""),
    ),
    "policy": (
        ("咨询今年发明专利授权资助和高价值专利奖补的申报条件和时间。",
         "已介绍盟级专利资助及高价值专利培育奖补政策，申报时间以市场监管局通知为准。", _POLICY),
        ("企业被纳入重点帮扶企业库后可以享受哪些服务。",
         "已说明可享受专利导航、预审快速通道、质押融资对接和一对一辅导等服务。", _POLICY),
    ),
    "filing": (
        ("个人发明了一种{product}相关的小装置，咨询如何申请实用新型专利以及费用减缴。",
         "已讲解申请文件组成（请求书、说明书及附图、权利要求书、摘要）和费减备案办理方法。", ""),
    ),
    "search": (
        ("研发新产品前想做专利检索，避免侵犯他人专利权，询问检索渠道。",
         "已演示国家知识产权局专利检索及分析系统的使用方法，并建议委托专业机构做FTO分析。", ""),
    ),
    "licensing": (
        ("高校有一批专利开放许可，企业想了解许可费用和签约方式。",
         "已介绍专利开放许可制度，许可使用费按公告标准支付，可通过开放许可平台直接获得许可。", ""),
    ),
    "insurance": (
        ("咨询专利执行保险和侵权责任险的保障范围和保费补贴。",
         "已介绍知识产权保险险种及投保流程，保费补贴按盟内政策执行。", _POLICY),
    ),
    "mediation": (
        ("与合作方因专利许可费支付发生争议，咨询能否申请人民调解。",
         "已告知兴安盟知识产权纠纷人民调解委员会可以受理，调解不收取任何费用，介绍了申请材料。",
         "《中华人民共和国人民调解法》"),
    ),
    "navigation": (
        ("企业计划开展{product}领域专利导航，咨询项目申报方式。",
         "已介绍企业专利导航项目的工作内容和申报材料，建议与保护中心联系。", ""),
    ),
    "trademark": (
        ("想为自家{product}注册商标，咨询商标注册流程和类别选择。",
         "已介绍商标注册流程、尼斯分类选择和网上申请方式，提醒先进行近似查询。", ""),
    ),
    "gi": (
        ("合作社生产的大米想使用“兴安盟大米”地理标志，需要什么条件。",
         "已告知地理标志专用标志使用申请条件和材料，产品须符合相关质量技术要求。", ""),
    ),
    "copyright": (
        ("公司开发了一款农牧业管理软件，咨询软件著作权登记。",
         "已介绍计算机软件著作权登记材料和中国版权保护中心网上办理流程。", ""),
    ),
}
_TOPIC_WEIGHTS = (("preexam", 16), ("policy", 14), ("pledge", 11), ("protection", 10),
                  ("filing", 10), ("standard", 8), ("trademark", 8), ("search", 5),
                  ("licensing", 4), ("insurance", 4), ("mediation", 4), ("navigation", 2),
                  ("gi", 2), ("copyright", 2))
_PRODUCTS = ("沙棘饮品", "石墨烯改性材料", "发酵饲料", "玉米播种机", "蒙药制剂", "大米", "牛肉干",
             "风电叶片", "杂粮包装", "奶制品", "光伏支架", "有机肥")
_NOTICE_ITEMS = ("请补充：1．营业执照复印件（加盖公章）；2．近3个月社保缴纳证明；3．有效发明专利证书复印件。",
                 "请补充：1．质押专利清单及专利登记簿副本；2．近两年财务报表；3．法定代表人身份证明。",
                 "请补充：1．权利证明文件；2．侵权证据材料（公证书或购买凭证）。")
_REFER_TO = {"pledge": "中国银行兴安盟分行普惠金融部", "insurance": "兴安盟金融工作办公室",
             "preexam": "内蒙古知识产权保护中心", "mediation": "兴安盟知识产权纠纷人民调解委员会",
             "protection": "兴安盟市场监督管理局知识产权科", "trademark": "乌兰浩特市市场监督管理局"}
_REFER_DEFAULT = "兴安盟市场监督管理局知识产权科"
_INSTITUTES = ("兴安职业技术学院", "兴安盟农牧科学研究所", "兴安盟林业和草原科学研究所",
               "内蒙古民族大学兴安盟研究院")
_FOLLOWUP_RESULTS = ("企业表示问题已解决，对服务满意。", "已按告知补齐材料并完成备案。",
                     "已与合作银行对接，正在办理评估。", "来访人表示暂不办理，后续有需要再联系。")

# --- ratings -----------------------------------------------------------------------------------

_GOOD_COMMENTS = ("工作人员讲解耐心细致，一次就办好了。", "材料清单很清楚，不用来回跑。", "服务热情，效率高。",
                  "政策讲得明白，很有帮助。", "", "", "")
_BAD_COMMENTS = ("等待时间过长，窗口只有一人办理。", "咨询质押融资政策，答复不够具体。",
                 "要求补充的材料前后说法不一致，跑了两趟。", "工作人员态度有些冷淡。")
_SERVICE_ITEMS = {
    "consultation": "知识产权咨询",
    "enterprise": "企业信息登记",
    "preexam_filing": "专利预审备案引导",
    "preexam_case": "专利预审案件受理",
    "mediation": "知识产权纠纷调解申请",
}


# --- planning ------------------------------------------------------------------------------------


def plan(records: int) -> dict[str, int]:
    """How many records of each kind `generate(desk, records)` creates (sums to `records`;
    at least one of each kind once records >= 6)."""
    if records <= 0:
        return dict.fromkeys(KIND_ORDER, 0)
    if records < len(KIND_ORDER):
        return {k: int(i < records) for i, k in enumerate(KIND_ORDER)}
    counts = {k: max(1, int(records * SHARES[k])) for k in KIND_ORDER}
    counts["consultation"] += records - sum(counts.values())
    assert counts["consultation"] >= 1, counts
    return counts


# --- the generator -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Made:
    """What later stages need to know about a created record (kept small: 200,000 rows)."""

    id: str
    receipt: str
    day: dt.date  # the service date (for ratings and follow-ups)
    extra: dict[str, Any] = field(default_factory=dict)


class _Demo:
    def __init__(self, desk: Desk, seed: int, total: int, progress: Progress | None) -> None:
        self.desk = desk
        self.seed = seed
        self.total = total
        self.done = 0
        self.progress = progress
        self.today = today_cst()
        self.now = utcnow().astimezone(CST)
        self.cal = desk.calendar()
        self.enterprises: list[Enterprise] = []
        self.consultations: list[_Made] = []
        self.filings: list[_Made] = []
        self.cases: list[_Made] = []
        self.mediations: list[_Made] = []
        self.ratings: list[_Made] = []
        self.counts = dict.fromkeys(KIND_ORDER, 0)

    def rng(self, part: str) -> random.Random:
        return random.Random(f"xingan-demo:{self.seed}:{part}")

    def _tick(self, n: int) -> None:
        self.done += n
        if self.progress:
            self.progress(min(self.done, self.total), self.total)

    # --- dates ----------------------------------------------------------------------------------
    def past_day(self, rng: random.Random, *, min_days: int = 1, max_days: int = 365) -> dt.date:
        d = self.today - dt.timedelta(days=rng.randint(min_days, max_days))
        for _ in range(10):
            if self.cal.is_workday(d):
                break
            d -= dt.timedelta(days=1)
        return d

    def later(self, rng: random.Random, start: dt.date, lo: int, hi: int) -> dt.date | None:
        """start + lo..hi days rolled to a working day, or None if that is after today."""
        d = start + dt.timedelta(days=rng.randint(lo, hi))
        if d > self.today:
            return None
        rolled = self.cal.roll_forward(d)
        if rolled <= self.today:
            return rolled
        # in a holiday that lasts beyond today: the last working day before it, if any
        back = d
        while back > start and not self.cal.is_workday(back):
            back -= dt.timedelta(days=1)
        return back if back > start else d

    def at(self, rng: random.Random, day: dt.date) -> dt.datetime:
        """A moment in office hours on `day`, not in the future."""
        minutes = rng.randint(8 * 60 + 30, 17 * 60)
        moment = dt.datetime(day.year, day.month, day.day, minutes // 60, minutes % 60,
                             tzinfo=CST)
        return min(moment, self.now.replace(second=0, microsecond=0) - dt.timedelta(minutes=5))

    # --- accounts ---------------------------------------------------------------------------------
    def ensure_users(self) -> None:
        desk = self.desk
        existing = {u.username for u in desk.list_users()}
        missing = [u for u in DEMO_USERS if u[0] not in existing]
        if not missing:
            return
        if desk.user.role != "admin":
            desk.use_account("admin")
        for username, name, role in missing:
            desk.add_user(username, name, role, DEMO_PASSWORD)

    def as_user(self, who: tuple[str, str, str]) -> None:
        if self.desk.user.username != who[0]:
            self.desk.use_account(who[0])

    # --- bulk creation ----------------------------------------------------------------------------
    def create_chunked(
        self, kind: str, rows: Iterator[tuple[dict[str, Any], Any]], check_key: str
    ) -> list[tuple[RecordView, Any]]:
        """create_many in chunks of CHUNK rows; returns (view, tag) per row in input order.

        create_many returns only a count, so the new records are found again as the clerk's
        most recent records of the kind (this run is the only writer) and matched row by row on
        `check_key`."""
        self.as_user(CLERK)
        out: list[tuple[RecordView, Any]] = []
        field_ = KINDS[kind].field(check_key)
        while True:
            chunk = list(itertools.islice(rows, CHUNK))
            if not chunk:
                return out
            n = self.desk.create_many(kind, [raw for raw, _ in chunk])
            ids = self.desk.find_ids(Query(kind=kind, created_by=CLERK[0], include_voided=True,
                                           order_by="created_at", descending=True, limit=n))
            ids.reverse()
            views = self.desk.rows_for_ids(ids)
            for rec_id, (raw, tag) in zip(ids, chunk, strict=True):
                view = views[rec_id]
                expected = field_.display(field_.clean(raw.get(check_key)))
                if view.display(check_key) != expected:
                    raise RuntimeError(f"demo: created {kind} records could not be matched")
                out.append((view, tag))
            self.counts[kind] += n
            self._tick(n)

    def act(self, who: tuple[str, str, str], record_id: str, action: str,
            raw: dict[str, Any] | None = None) -> RecordView:
        self.as_user(who)
        view, _ = self.desk.act(record_id, action, raw)
        return view

    # --- enterprises ------------------------------------------------------------------------------
    def make_enterprises(self, n: int) -> None:
        rng = self.rng("enterprise")
        taken_codes, taken_names = self._existing_enterprises()

        def rows() -> Iterator[tuple[dict[str, Any], Enterprise]]:
            for _ in range(n):
                ent = self._enterprise(rng, taken_codes, taken_names)
                yield self._enterprise_raw(rng, ent), ent

        for view, ent in self.create_chunked("enterprise", rows(), "uscc"):
            ent.receipt = view.receipt_no
            self.enterprises.append(ent)

    def _existing_enterprises(self) -> tuple[set[str], set[str]]:
        codes: set[str] = set()
        names: set[str] = set()
        ids = self.desk.find_ids(Query(kind="enterprise", include_voided=True))
        for start in range(0, len(ids), CHUNK):
            for view in self.desk.rows_for_ids(ids[start : start + CHUNK]).values():
                codes.add(str(view.values.get("uscc") or ""))
                names.add(str(view.values.get("name") or ""))
        return codes, names

    def _enterprise(self, rng: random.Random, codes: set[str], names: set[str]) -> Enterprise:
        county = _weighted(rng, _COUNTY_WEIGHTS)
        industry = _weighted(rng, _INDUSTRY_WEIGHTS)
        for attempt in range(50):
            r = rng.random()
            region = "兴安盟" if r < 0.15 else "内蒙古" if r < 0.25 else county_name(county)
            brand = rng.choice(_BRANDS)
            if attempt > 20:  # the simple names are used up: two brand words
                brand += rng.choice(_BRANDS)
            word = rng.choice(_INDUSTRY_WORDS[industry])
            category = "1"
            if industry == "green_agri" and rng.random() < 0.3:  # 农民专业合作社: code 93…
                word, form = rng.choice(_COOPERATIVES)
                category = "3"
                region = county_name(county)
            else:
                form = _weighted(rng, (("有限公司", 70), ("有限责任公司", 22), ("股份有限公司", 8)))
            name = f"{region}{brand}{word}{form}"
            if name not in names:
                break
        names.add(name)
        code = _uscc(rng, county, category)
        while code in codes:
            code = _uscc(rng, county, category)
        codes.add(code)
        legal_rep, contact = _person(rng), _person(rng)
        big = industry in ("bio", "biopharma", "new_materials")
        return Enterprise(
            uscc=code, name=name, county=county, industry=industry,
            address=_address(rng, county), legal_rep=legal_rep, contact=contact,
            contact_phone=_landline(rng) if rng.random() < 0.2 else contact.mobile,
            invention=rng.choice((0, 0, 1, 1, 2, 3, 4, 6, 9) if big else (0, 0, 0, 0, 1, 1, 2)),
            utility=rng.choice((0, 1, 2, 3, 5, 8, 12, 20)),
            design=rng.choice((0, 0, 0, 1, 2, 4)),
            has_ip_rules=rng.random() < (0.7 if big else 0.35),
            gb29490=rng.random() < 0.08,
            key_support=rng.random() < 0.12,
        )

    def _enterprise_raw(self, rng: random.Random, ent: Enterprise) -> dict[str, Any]:
        employees = rng.randint(6, 320)
        earliest = dt.date(1996, 1, 1).toordinal()
        established = dt.date.fromordinal(rng.randint(earliest, self.today.toordinal() - 400))
        raw: dict[str, Any] = {
            "uscc": ent.uscc,
            "name": ent.name,
            "county_code": ent.county,
            "address": ent.address,
            "legal_rep": ent.legal_rep.name,
            "established_on": established,
            "industry": ent.industry,
            "main_business": rng.choice(_MAIN_BUSINESS[ent.industry]),
            "employees_insured": employees,
            "rd_staff": max(1, int(employees * rng.uniform(0.04, 0.3))),
            "contact_name": ent.contact.name,
            "contact_phone": ent.contact_phone,
            "invention_patents": ent.invention,
            "utility_patents": ent.utility,
            "design_patents": ent.design,
            "has_ip_rules": ent.has_ip_rules,
            "gb29490_certified": ent.gb29490,
            "key_support": ent.key_support,
        }
        if rng.random() < 0.5:
            raw["contact_email"] = f"xa{rng.randrange(10**4, 10**7)}@{rng.choice(('163.com', 'qq.com', '126.com'))}"
        if ent.gb29490:
            raw["gb29490_cert_no"] = f"{rng.choice(('165', '181', '241'))}IP{rng.randint(21, 25)}{rng.randrange(10**4):04d}R0M"
        if ent.key_support:
            raw["key_support_year"] = rng.randint(2022, self.today.year)
            raw["notes"] = "纳入兴安盟高价值专利培育重点帮扶企业库，安排专人对接服务。"
        return raw

    # --- consultations ----------------------------------------------------------------------------
    def make_consultations(self, n: int) -> None:
        rng = self.rng("consultation")

        def rows() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
            for _ in range(n):
                raw, tag = self._consultation(rng)
                yield raw, tag

        for view, tag in self.create_chunked("consultation", rows(), "started_at"):
            self.consultations.append(_Made(view.id, view.receipt_no, tag["day"], tag))
        # 转办 cases come back and are closed; some closed ones get their follow-up call
        for made in self.consultations:
            if made.extra["handling"] == "referred":
                done = self.later(rng, made.day, 3, 12)
                if done:
                    self.act(CLERK, made.id, "close")
                    made.extra["closed"] = True
            if (made.extra["handling"] in ("answered", "notice") or made.extra.get("closed")) \
                    and made.extra["followup"] and made.extra["followup"] <= self.today:
                self.act(CLERK, made.id, "follow_up",
                         {"followup_result": rng.choice(_FOLLOWUP_RESULTS)})

    def _consultation(self, rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
        handling = _weighted(rng, (("answered", 60), ("notice", 15), ("referred", 8),
                                   ("to_center", 6), ("to_mediation", 4), ("appointment", 7)))
        # still open (预约, 转办) only when recent: an old demo record would sit overdue in 待办
        recent = {"appointment": 14, "referred": 40}.get(handling)
        day = self.past_day(rng, max_days=recent or 365)
        started = self.at(rng, day)
        ended = started + dt.timedelta(minutes=rng.randint(6, 50))
        topic = _weighted(rng, _TOPIC_WEIGHTS)
        topics = [topic]
        if rng.random() < 0.25:
            second = _weighted(rng, _TOPIC_WEIGHTS)
            if second != topic:
                topics.append(second)
        question, answer, basis = rng.choice(_TOPIC_TEXTS[topic])
        product = rng.choice(_PRODUCTS)
        visitor = _person(rng)
        raw: dict[str, Any] = {
            "started_at": started,
            "ended_at": min(ended, self.now),
            "channel": _weighted(rng, (("onsite", 62), ("phone", 24), ("online", 8), ("visit", 4),
                                       ("hotline", 2))),
            "first_responder": CLERK[1] if rng.random() < 0.8 else rng.choice(("王晓东", "包其其格")),
            "topics": topics,
            "question": question.format(product=product, n=rng.randint(2, 6)),
            "answer": answer,
            "basis": basis or None,
        }
        ent_uscc = None
        if self.enterprises and rng.random() < 0.5:
            ent = rng.choice(self.enterprises)
            ent_uscc = ent.uscc
            raw.update(visitor_type="enterprise", enterprise_name=ent.name, enterprise_uscc=ent.uscc,
                       visitor_region=ent.county)
            if rng.random() < 0.6:
                visitor = ent.contact
        else:
            vt = _weighted(rng, (("person", 55), ("enterprise", 20), ("institute", 15), ("agency", 10)))
            raw["visitor_type"] = vt
            raw["visitor_region"] = _weighted(rng, _COUNTY_WEIGHTS)
            if vt == "enterprise":
                raw["enterprise_name"] = (f"{county_name(raw['visitor_region'])}{rng.choice(_BRANDS)}"
                                          f"{rng.choice(('商贸', '农资', '食品', '建材'))}有限公司")
            elif vt == "institute":
                raw["enterprise_name"] = rng.choice(_INSTITUTES)
            elif vt == "agency":
                raw["enterprise_name"] = rng.choice(_AGENCIES)[0]
        if topic == "mediation" and handling == "answered" and rng.random() < 0.5:
            handling = "to_mediation"
        raw["handling"] = handling
        if handling == "notice":
            raw["notice_items"] = rng.choice(_NOTICE_ITEMS)
        elif handling == "referred":
            raw["referred_to"] = _REFER_TO.get(topic, _REFER_DEFAULT)
            raw["referral_deadline"] = self.cal.add_workdays(day, 5)
        followup = None
        if handling in ("answered", "notice", "referred") and rng.random() < 0.22:
            followup = day + dt.timedelta(days=rng.randint(7, 30))
            raw.update(followup_needed=True, followup_date=followup)
        if rng.random() < 0.7 or followup:
            raw["visitor_name"] = visitor.name
        if rng.random() < 0.5 or followup:
            raw["visitor_phone"] = visitor.mobile
            raw.setdefault("visitor_name", visitor.name)
        if topic in ("protection", "pledge", "licensing") and rng.random() < 0.5:
            year = rng.randint(2016, self.today.year - 1)
            raw["ip_numbers"] = "ZL" + _application_no(rng, year, rng.choice(("invention", "utility")))
        elif topic == "trademark" and rng.random() < 0.4:
            raw["ip_numbers"] = f"第{rng.randint(10**7, 7 * 10**7)}号"
        if raw.get("enterprise_uscc") and rng.random() < 0.1:
            raw["support_lead"] = True
        tag = {"day": day, "handling": handling, "followup": followup, "uscc": ent_uscc,
               "topics": topics}
        return {k: val for k, val in raw.items() if val is not None}, tag

    # --- pre-examination filings --------------------------------------------------------------------
    def make_filings(self, n: int) -> None:
        rng = self.rng("preexam_filing")
        pool = sorted(self.enterprises, key=lambda e: (e.industry not in _PREEXAM_FIELD, rng.random()))
        by_uscc = {m.extra["uscc"]: m for m in self.consultations
                   if m.extra["uscc"] and "preexam" in m.extra["topics"]}

        def rows() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
            for i in range(n):
                ent = pool[i % len(pool)] if pool else None
                yield self._filing(rng, i, ent, by_uscc)

        made = self.create_chunked("preexam_filing", rows(), "guided_on")
        for view, tag in made:
            m = _Made(view.id, view.receipt_no, tag["day"], tag)
            self.filings.append(m)
            self._advance_filing(rng, m)

    def _filing(self, rng: random.Random, index: int, ent: Enterprise | None,
                consults: dict[str, _Made]) -> tuple[dict[str, Any], dict[str, Any]]:
        if ent is None:  # only when asked for filings without enterprises (records < 6)
            county = _weighted(rng, _COUNTY_WEIGHTS)
            ent = Enterprise(_uscc(rng, county), f"{county_name(county)}{rng.choice(_BRANDS)}生物科技有限公司",
                             county, "bio", _address(rng, county), _person(rng), _person(rng), "",
                             1, 0, 0, True, False, False)
        forced = {0: "approved", 1: "preparing"}  # every demo shows both ends of the flow
        target = forced.get(index) or _weighted(rng, (
            ("preparing", 14), ("registered", 8), ("submitted", 10), ("correction", 5),
            ("approved", 52), ("rejected", 5), ("cancelled", 3), ("review", 3)))
        lo, hi = {"preparing": (1, 30), "registered": (4, 30), "submitted": (8, 30),
                  "correction": (10, 40)}.get(target, (30, 365))
        day = self.past_day(rng, min_days=lo, max_days=hi)
        fld = _PREEXAM_FIELD.get(ent.industry, "other")
        contact = ent.contact
        uses_agency = rng.random() < 0.6
        agency = rng.choice(_AGENCIES)
        statuses = ("received",) * 8 + ("not_needed",)
        materials = []
        for _, label in active_choices("preexam_materials"):
            status = rng.choice(statuses)
            note = None
            if target == "preparing" and rng.random() < 0.35:
                status, note = "missing", "企业正在准备，约定一周内补交"
            materials.append({"item": label, "status": status, "note": note})
        raw: dict[str, Any] = {
            "enterprise_uscc": ent.uscc,
            "enterprise_name": ent.name,
            "county_code": ent.county,
            "field": fld,
            "sub_field": rng.choice(_SUB_FIELDS[fld]),
            "contact_name": contact.name,
            "contact_phone": contact.mobile,
            "invention_patents": max(ent.invention, 1) if rng.random() < 0.9 else ent.invention,
            "utility_patents": ent.utility,
            "design_patents": ent.design,
            "has_ip_rules": ent.has_ip_rules or rng.random() < 0.5,
            "gb29490_certified": ent.gb29490,
            "fee_reduction_done": rng.random() < 0.7,
            "uses_agency": uses_agency,
            "agency_name": agency[0] if uses_agency else None,
            "agency_code": agency[1] if uses_agency else None,
            "agency_on_whitelist": (rng.random() < 0.85) if uses_agency else None,
            "credit_issue_found": target == "rejected" and rng.random() < 0.5,
            "credit_checked_on": min(day + dt.timedelta(days=1), self.today),
            "credit_checked_by": CLERK[1],
            "materials": materials,
            "guided_on": day,
            "key_support": ent.key_support,
        }
        source = consults.get(ent.uscc)
        if source is not None and source.day <= day:
            raw["source_consultation"] = source.receipt
        tag = {"day": day, "target": target, "ent": ent, "contact": contact,
               "agency": agency[0] if uses_agency else None, "field": fld}
        return {k: val for k, val in raw.items() if val is not None}, tag

    def _advance_filing(self, rng: random.Random, m: _Made) -> None:
        target = m.extra["target"]
        m.extra["status"] = "preparing"
        if target == "preparing":
            return
        if target == "cancelled":
            self.act(CLERK, m.id, "cancel", {"cancel_reason": "企业决定暂不办理预审备案"})
            m.extra["status"] = "cancelled"
            return
        reg = self.later(rng, m.day, 1, 6)
        if reg is None:
            return
        self.act(CLERK, m.id, "register", {"platform_registered_on": reg})
        m.extra["status"] = "registered"
        if target == "registered":
            return
        sub = self.later(rng, reg, 1, 5)
        if sub is None:
            return
        self.act(CLERK, m.id, "submit", {"submitted_on": sub})
        m.extra["status"] = "submitted"
        if target == "submitted":
            return
        if target == "correction" or rng.random() < 0.15:
            back = self.later(rng, sub, 2, 6)
            if back is None:
                return
            self.act(CLERK, m.id, "request_correction", {
                "correction_deadline": self.cal.add_workdays(back, 10),
                "correction_note": "备案申请表未加盖公章，社保证明缺少研发人员，请补正后重新提交。",
            })
            m.extra["status"] = "correction"
            if target == "correction":
                return
            sub = self.later(rng, back, 2, 8)
            if sub is None:
                return
            self.act(CLERK, m.id, "submit", {"submitted_on": sub})
            m.extra["status"] = "submitted"
        result = self.later(rng, sub, 3, 12)
        if result is None:
            return
        if target == "rejected":
            self.act(CLERK, m.id, "reject", {
                "result_on": result,
                "result_reason": rng.choice(("近两年存在非正常专利申请记录",
                                             "无以第一申请人拥有的有效发明专利，不符合备案主体条件")),
            })
            m.extra["status"] = "rejected"
            return
        valid = dt.date(result.year + 3, result.month, min(result.day, 28))
        self.act(CLERK, m.id, "approve", {"result_on": result, "valid_until": valid})
        m.extra.update(status="approved", approved_on=result)
        if target == "review" and self.later(rng, result, 30, 90):
            self.act(CLERK, m.id, "start_review")
            m.extra["status"] = "review"

    # --- pre-examination cases ----------------------------------------------------------------------
    def make_cases(self, n: int) -> None:
        rng = self.rng("preexam_case")
        approved = [m for m in self.filings if m.extra.get("approved_on")]
        pool = approved or self.filings

        def rows() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
            for i in range(n):
                yield self._case(rng, i, rng.choice(pool))

        for view, tag in self.create_chunked("preexam_case", rows(), "title"):
            m = _Made(view.id, view.receipt_no, tag["day"], tag)
            self.cases.append(m)
            self._advance_case(rng, m)

    def _case(self, rng: random.Random, index: int,
              filing: _Made) -> tuple[dict[str, Any], dict[str, Any]]:
        ent: Enterprise = filing.extra["ent"]
        fld = filing.extra["field"]
        ptype = "invention" if rng.random() < 0.6 else "utility"
        title, ipc, extra, tech = rng.choice(_CASES[(fld, ptype)])
        base = filing.extra.get("approved_on") or filing.day
        inventors = "、".join(_person(rng).name for _ in range(rng.randint(1, 4)))
        raw: dict[str, Any] = {
            "filing_no": filing.receipt,
            "applicant_name": ent.name,
            "applicant_uscc": ent.uscc,
            "patent_type": ptype,
            "title": title,
            "ipc_main": ipc,
            "ipc_extra": extra or None,
            "tech_field": tech,
            "inventors": inventors,
            "agency_name": filing.extra["agency"],
            "contact_name": filing.extra["contact"].name,
            "contact_phone": filing.extra["contact"].mobile,
        }
        if ptype == "invention" and fld != "other" and rng.random() < 0.2:
            raw["high_value"] = ["strategic"]
        forced = {0: "filed", 1: "submitted"}
        target = forced.get(index) or _weighted(rng, (
            ("registered", 10), ("submitted", 14), ("qualified", 14), ("unqualified", 5),
            ("withdrawn", 3), ("filed", 27), ("granted", 27)))
        tag = {"day": base, "target": target, "type": ptype}
        return {k: val for k, val in raw.items() if val is not None}, tag

    def _advance_case(self, rng: random.Random, m: _Made) -> None:
        target = m.extra["target"]
        if target == "registered":
            return
        if target == "withdrawn":
            self.act(CLERK, m.id, "withdraw", {"conclusion_reason": "申请人主动撤回预审请求"})
            return
        recent = {"submitted": (2, 20), "qualified": (15, 45)}.get(target)
        if recent:  # still open: submitted lately, whenever the filing was approved
            sub = max(self.past_day(rng, min_days=recent[0], max_days=recent[1]), m.day)
        else:
            sub = self.later(rng, m.day, 0, 60)
        if sub is None:
            return
        self.act(CLERK, m.id, "submit", {
            "submitted_on": sub, "center_case_no": f"NMYS{sub.year}{rng.randrange(1, 10**5):05d}"})
        m.day = sub
        if target == "submitted":
            return
        concluded = self.later(rng, sub, 3, 14)
        if concluded is None:
            return
        if target == "unqualified":
            self.act(CLERK, m.id, "disqualify", {
                "concluded_on": concluded,
                "conclusion_reason": rng.choice(("主分类号不在保护中心预审服务领域范围内",
                                                 "权利要求书存在明显撰写缺陷，不符合预审要求")),
            })
            return
        self.act(CLERK, m.id, "qualify", {"concluded_on": concluded})
        if target == "qualified":
            return
        filed = self.later(rng, concluded, 1, 10)
        if filed is None:
            return
        ptype = m.extra["type"]
        self.act(CLERK, m.id, "file", {
            "filed_on": filed, "application_no": _application_no(rng, filed.year, ptype),
            "consistency": "consistent",
        })
        if target == "filed":
            return
        lo, hi = (100, 220) if ptype == "invention" else (20, 45)
        granted = self.later(rng, filed, lo, hi)
        if granted is None:
            return
        self.act(CLERK, m.id, "grant", {"grant_pub_no": _grant_pub_no(rng, ptype),
                                        "granted_on": granted})

    # --- mediations --------------------------------------------------------------------------------
    def make_mediations(self, n: int) -> None:
        rng = self.rng("mediation")

        def rows() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
            for i in range(n):
                yield self._mediation(rng, i)

        for view, tag in self.create_chunked("mediation", rows(), "applied_on"):
            m = _Made(view.id, view.receipt_no, tag["day"], tag)
            self.mediations.append(m)
            self._advance_mediation(rng, m)

    def _org_party(self, rng: random.Random, ent: Enterprise | None = None) -> dict[str, Any]:
        if ent is None:
            county = _weighted(rng, _COUNTY_WEIGHTS)
            ent = Enterprise(_uscc(rng, county), f"{county_name(county)}{rng.choice(_BRANDS)}"
                             f"{rng.choice(('商贸', '农资', '食品', '农机销售'))}有限公司",
                             county, "other", _address(rng, county), _person(rng), _person(rng),
                             "", 0, 0, 0, False, False, False)
        return {"party_type": "org", "name": ent.name, "uscc": ent.uscc,
                "legal_rep": ent.legal_rep.name, "phone": ent.contact_phone or ent.contact.mobile,
                "address": ent.address}

    def _person_party(self, rng: random.Random) -> dict[str, Any]:
        p = _person(rng)
        county = rng.choice(LEAGUE_COUNTIES)
        return {"party_type": "person", "name": p.name, "id_number": _id_number(rng, p, self.today),
                "gender": p.gender, "ethnicity": p.ethnicity, "occupation": rng.choice(_OCCUPATIONS),
                "phone": p.mobile, "address": _address(rng, county)}

    def _mediation(self, rng: random.Random, index: int) -> tuple[dict[str, Any], dict[str, Any]]:
        forced = {0: "settled", 1: "refused", 2: "accepted"}
        target = forced.get(index) or _weighted(rng, (
            ("registered", 8), ("accepted", 12), ("mediating", 15), ("settled", 28),
            ("confirmed", 12), ("terminated", 12), ("withdrawn", 5), ("refused", 8)))
        # open cases are recent, so their statutory clocks (3/7 working days, 30 days) still run
        lo, hi = {"registered": (1, 2), "accepted": (4, 9), "mediating": (10, 30),
                  "settled": (40, 365), "confirmed": (60, 365)}.get(target, (20, 365))
        day = self.past_day(rng, min_days=lo, max_days=hi)
        ent = rng.choice(self.enterprises) if self.enterprises else None
        applicant = self._org_party(rng, ent) if rng.random() < 0.65 else self._person_party(rng)
        respondent = self._org_party(rng) if rng.random() < 0.65 else self._person_party(rng)
        right = _weighted(rng, (("patent", 50), ("trademark", 30), ("copyright", 10), ("gi", 5),
                                ("trade_secret", 5)))
        dispute = {"patent": ("infringement", "ownership", "license"),
                   "trademark": ("infringement", "infringement", "contract"),
                   "copyright": ("infringement", "contract")}.get(right, ("infringement", "other"))
        dispute_type = rng.choice(dispute)
        product = rng.choice(_PRODUCTS)
        right_label = {"patent": "专利权", "trademark": "注册商标专用权", "copyright": "著作权",
                       "gi": "地理标志", "trade_secret": "商业秘密"}[right]
        a, r = applicant["name"], respondent["name"]
        amount = rng.randrange(50, 5000) * 100
        raw: dict[str, Any] = {
            "applied_on": day,
            "applicants": [applicant],
            "respondents": [respondent],
            "right_type": right,
            "dispute_type": dispute_type,
            "amount": f"{amount}.00",
            "facts": (f"申请人{a}称，被申请人{r}未经许可，在其销售的{product}上使用了申请人享有{right_label}"
                      f"的技术或标识，给申请人造成经济损失约{amount // 10000 or 1}万元。双方曾自行协商未果。"),
            "claims": f"1．被申请人停止侵权行为；2．被申请人赔偿经济损失{amount}元。",
            "evidence": "权利证书复印件、公证购买的产品及票据、网页截图。",
            "risk_flag": rng.random() < 0.08,
        }
        if right == "patent":
            raw["right_no"] = "ZL" + _application_no(rng, rng.randint(2015, self.today.year - 1),
                                                     rng.choice(("invention", "utility")))
        elif right == "trademark":
            raw["right_no"] = f"第{rng.randint(10**7, 7 * 10**7)}号"
        elif right == "copyright":
            raw["right_no"] = f"蒙作登字-{day.year - 1}-F-{rng.randrange(10**7):08d}"
        source = _weighted(rng, (("application", 70), ("initiative", 8), ("court", 14), ("admin", 8)))
        raw["source"] = source
        raw["mechanism"] = {"court": "court", "admin": "admin"}.get(source, "people")
        if source == "court":
            court = rng.choice(_COURTS)
            raw["referring_body"] = court
            raw["referring_case_no"] = f"（{day.year}）内22{rng.randint(1, 24):02d}民诉前调{rng.randint(1, 400)}号"
        elif source == "admin":
            raw["referring_body"] = "兴安盟市场监督管理局"
        tag = {"day": day, "target": target}
        return raw, tag

    def _advance_mediation(self, rng: random.Random, m: _Made) -> None:
        target = m.extra["target"]
        if target == "registered":
            return
        if target == "refused":
            self.act(MEDIATOR, m.id, "refuse", {
                "refusal_reason": "respondent_refused",
                "refusal_note": "经电话征询，被申请人明确表示不同意调解，已告知申请人可通过诉讼等途径解决。",
                "closed_on": self.later(rng, m.day, 1, 3) or self.today,
            })
            return
        accepted = self.later(rng, m.day, 1, 3)
        if accepted is None:
            return
        self.act(MEDIATOR, m.id, "accept", {"accepted_on": accepted, "mediator": MEDIATOR[1]})
        if target == "accepted":
            return
        if target == "withdrawn":
            self.act(MEDIATOR, m.id, "withdraw",
                     {"closed_on": self.later(rng, accepted, 1, 5) or self.today})
            return
        started = self.later(rng, accepted, 1, 6)
        if started is None:
            return
        self.act(MEDIATOR, m.id, "start", {"consent": "agreed", "consent_on": started,
                                           "started_on": started})
        if target == "mediating":
            return
        if target == "terminated":
            closed = self.later(rng, started, 5, 25)
            if closed:
                self.act(MEDIATOR, m.id, "terminate", {"termination_reason": "no_agreement",
                                                       "closed_on": closed})
            return
        effective = self.later(rng, started, 2, 20)
        if effective is None:
            return
        amount = int(rng.randrange(20, 2000) * 100)
        self.act(MEDIATOR, m.id, "settle", {
            "outcome": "written" if rng.random() < 0.85 else "oral",
            "agreement": (f"1．被申请人自协议生效之日起停止销售涉案产品；2．被申请人于15日内一次性支付申请人"
                          f"经济损失{amount}元；3．双方就本纠纷再无其他争议。"),
            "agreement_effective_on": effective,
        })
        if target == "confirmed":
            applied = self.later(rng, effective, 3, 20)
            if applied is None:
                return
            self.act(MEDIATOR, m.id, "apply_confirmation", {
                "confirmation_applied_on": applied, "confirmation_court": rng.choice(_COURTS)})
            ruled = self.later(rng, applied, 5, 15)
            if ruled:
                self.act(MEDIATOR, m.id, "confirm", {"confirmation_result_on": ruled})
        elif self.later(rng, effective, 15, 30) and rng.random() < 0.6:
            self.act(MEDIATOR, m.id, "record_performance", {"performance": "done"})

    # --- ratings -----------------------------------------------------------------------------------
    def make_ratings(self, n: int) -> None:
        rng = self.rng("rating")
        sources = [(k, pool) for k, pool in (
            ("consultation", self.consultations), ("preexam_filing", self.filings),
            ("preexam_case", self.cases), ("mediation", self.mediations)) if pool]
        weights = {"consultation": 60, "preexam_filing": 15, "preexam_case": 10, "mediation": 15}
        ents = [e for e in self.enterprises if e.receipt]

        def rows() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
            for i in range(n):
                if sources:
                    kind, pool = _weighted(rng, [((k, p), weights[k]) for k, p in sources])
                    if i == 4:  # the 差评 every demo has: old enough to have been handled
                        pool = [m for m in pool if (self.today - m.day).days > 20] or pool
                    target = rng.choice(pool)
                    receipt, day = target.receipt, target.day
                else:
                    kind, receipt, day = "enterprise", rng.choice(ents).receipt, self.today
                yield self._rating(rng, i, kind, receipt, day)

        bad = 0
        for view, tag in self.create_chunked("rating", rows(), "service_no"):
            m = _Made(view.id, view.receipt_no, tag["day"], tag)
            self.ratings.append(m)
            if tag["bad"]:
                self._handle_bad_rating(rng, m, bad)
                bad += 1

    def _rating(self, rng: random.Random, index: int, kind: str, receipt: str,
                day: dt.date) -> tuple[dict[str, Any], dict[str, Any]]:
        level = _weighted(rng, (("5", 62), ("4", 26), ("3", 7), ("2", 3), ("1", 2)))
        if index == 4:  # at least one 差评 to verify in every demo with five ratings or more
            level = "2"
        bad = level in ("1", "2")
        when = self.at(rng, min(day + dt.timedelta(days=rng.choice((0, 0, 0, 1, 2))), self.today))
        real_name = rng.random() < (0.6 if bad else 0.25)
        rater = _person(rng)
        score = {"5": (5, 5), "4": (4, 5), "3": (3, 4)}.get(level, (1, 2))
        raw: dict[str, Any] = {
            "service_no": receipt,
            "service_item": _SERVICE_ITEMS[kind],
            "staff": MEDIATOR[1] if kind == "mediation" else CLERK[1],
            "channel": _weighted(rng, (("device", 55), ("qrcode", 25), ("paper", 10), ("online", 7),
                                       ("sms", 3))),
            "level": level,
            "score_efficiency": rng.randint(*score),
            "score_attitude": rng.randint(*score),
            "comment": rng.choice(_BAD_COMMENTS if bad else _GOOD_COMMENTS) or None,
            "rated_at": when,
            "real_name": real_name,
        }
        if real_name:
            raw["rater_name"] = rater.name
            raw["rater_phone"] = rater.mobile
        return ({k: val for k, val in raw.items() if val is not None},
                {"day": when.date(), "bad": bad})

    def _handle_bad_rating(self, rng: random.Random, m: _Made, index: int) -> None:
        """差评: verified by the supervisor within 3 working days, then fixed and called back;
        one in four is found unfounded, one in four is appealed."""
        verify_on = self.later(rng, m.day, 1, 3)
        if verify_on is None:
            return
        path = index % 4
        if path == 2 and (self.today - verify_on).days > 15:
            path = 0  # only a recent 差评 is still being fixed
        if path == 3:
            self.act(SUPERVISOR, m.id, "appeal", {"appeal": "pending"})
            self.act(SUPERVISOR, m.id, "appeal_decided", {"appeal": "revoked"})
        elif path == 1:
            self.act(SUPERVISOR, m.id, "verify_unfounded",
                     {"verifier": SUPERVISOR[1], "verification": "false"})
        else:
            self.act(SUPERVISOR, m.id, "verify", {
                "verifier": SUPERVISOR[1],
                "verification": "true" if path == 0 else "partly",
                "rectification": "调整窗口排班，高峰时段增设一名工作人员；统一一次性告知材料清单口径。",
                "rectify_by": self.cal.add_workdays(verify_on, 15),
            })
            if path == 2:
                return
            fixed = self.later(rng, verify_on, 3, 15)
            if fixed is None:
                return
            self.act(SUPERVISOR, m.id, "rectified", {"rectified_on": fixed})
        called = self.later(rng, verify_on, 5, 20)
        if called:
            self.act(SUPERVISOR, m.id, "call_back", {
                "callback_on": called, "callback_result": "已电话回访评价人，说明处理情况，评价人表示认可。"})


def generate(
    desk: Desk, records: int, *, seed: int = 2026, progress: Progress | None = None
) -> dict[str, int]:
    """Create about `records` realistic demo records (split as in `plan`) and push part of them
    through their workflows. Returns the number created per kind (keys: KIND_ORDER).

    Needs the admin account when the demo accounts do not exist yet. The account that was in
    use before is restored afterwards. `progress(done, total)` is called after each chunk of
    records (at most 500 rows apart)."""
    counts = plan(records)
    try:
        previous: str | None = desk.user.username
    except PermissionDenied:
        previous = None
    demo = _Demo(desk, seed, records, progress)
    try:
        if previous is None:
            desk.use_account("admin")
        demo.ensure_users()
        if counts["enterprise"]:
            demo.make_enterprises(counts["enterprise"])
        if counts["consultation"]:
            demo.make_consultations(counts["consultation"])
        if counts["preexam_filing"]:
            demo.make_filings(counts["preexam_filing"])
        if counts["preexam_case"]:
            demo.make_cases(counts["preexam_case"])
        if counts["mediation"]:
            demo.make_mediations(counts["mediation"])
        if counts["rating"]:
            demo.make_ratings(counts["rating"])
    finally:
        if previous is None:
            desk.logout()
        else:
            desk.use_account(previous)
    return dict(demo.counts)
