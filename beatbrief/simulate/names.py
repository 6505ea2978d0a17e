"""Chinese names, phone numbers and ID-card numbers for the simulated feeds (all fictitious)."""

from __future__ import annotations

import numpy as np

from beatbrief import pii


def _words(text: str) -> tuple[str, ...]:
    """A name pool written as space-separated words (compact and easy to extend)."""
    return tuple(text.split())


# Surnames roughly in order of frequency; the weights make 王/李/张/刘/陈 dominate as in reality.
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾"
    "丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤"
    "尹黎易常武乔贺赖龚文关佟"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰萍鹏辉玲建国红梅波斌宇浩凯秀云飞鑫亮"
    "晶婷雪琳欣颖丹宁东海峰立新志成文博俊淑珍凤霞春燕金荣德福林清永庆玉山"
)
# Pieces of road names; EW roads end in 路, NS roads in 街 (a common convention in northeast China).
ROAD_STEMS = _words(
    "人民 建设 和平 解放 胜利 新华 中山 文化 光明 团结 友谊 长江 黄河 "
    "东风 青年 工农 朝阳 繁荣 幸福 民主 兴安 振兴 富民 利民 康宁 永安 "
    "松江 嫩江 白山 红旗 前进 新民 育才 桃园 柳河 榆树 站前 商业 体育 "
    "学府 金珠 银河 滨河 西山 东山 南湖 北湖 兴业 兴隆 安民 惠民 丰收 "
    "平安 吉祥 福源 开元 宏伟 长白 松花 黎明"
)
COMMUNITY_STEMS = _words(
    "建设 和平 光明 朝阳 新华 胜利 团结 幸福 东风 友谊 繁荣 民主 文化 "
    "育才 站前 北山 南湖 西城 东城 翠园 丽景 锦绣 金桥 银河 春城 松江 "
    "滨河 花园 阳光 康宁 安居 华苑 福源 嘉禾 明珠 润泽 兴华 振兴 龙泉 "
    "凤凰 天湖 紫荆 碧水 桃源 新城 北苑 南苑 馨园 长青 永兴 前进 铁北 "
    "铁南 工农 红旗 新兴 利民 惠民 青年 曙光 向阳 和谐 万达 欧亚 世纪 "
    "盛世 锦江 丽水 松苑 桦林 梧桐 枫林"
)
VILLAGE_PREFIXES = ("东", "西", "南", "北", "前", "后", "大", "小", "新", "老", "上", "下")
VILLAGE_STEMS = _words(
    "榆树 柳条 杨树 黄花 双山 三道 四方 五里 七棵树 八家子 太平 永安 兴隆 "
    "长岭 五棵松 靠山 红石 白土 青山 石头 二龙 三合 团山 腰站 马鞍 卧龙 "
    "六合 九台 十里 黑林 烟筒 孤榆 苇子"
)
VILLAGE_SUFFIXES = ("屯", "村", "沟", "岗", "窝堡", "家屯", "家村", "家窝堡", "家店", "家沟")
TOWN_STEMS = _words(
    "兴隆 太平 永安 双河 长岭 红旗 靠山 三岔 五家 黄泥 石门 榆林 宝山 "
    "富强 新安 万宝 东升 南山 北岭 柳树 团结 民主 和平 前进"
)
URBAN_STATION_STEMS = _words("城关 东城 西城 南街 北关 站前 新区 城郊 开发区 滨河")
COUNTY_STEMS = _words(
    "安平 永宁 长宁 宁安 兴和 东丰 西丰 南平 北安 通化 靖宇 抚松 长白 "
    "和龙 龙井 图们 安图 汪清 敦化 舒兰 磐石 桦甸 蛟河 农安 德惠 榆树 "
    "九台 双阳 伊通 梨树 双辽 公主岭 东辽 柳河 辉南 梅河 集安 临江 洮南 "
    "大安 镇赉 通榆 乾安 长岭 前郭 扶余 宁江 松原 白城 洮北 昌邑 龙潭 "
    "船营 丰满 朝阳 南关 宽城 二道 绿园 铁东 铁西 东昌 二道江 浑江 江源 "
    "白山 延吉 珲春 辽源 西安"
)
# Area codes (GB/T 2260) of where floating residents come from, mostly neighbouring provinces.
ORIGIN_AREA_CODES = ("230102", "210102", "150102", "370102", "410102", "130102", "220102", "220202")
ID_WEIGHTS = np.array(pii.ID_WEIGHTS, dtype=np.int64)
ID_CHECK = np.array(list(pii.ID_CHECK))


def _surname_weights() -> np.ndarray:
    """Zipf-like weights so that common surnames dominate."""
    ranks = np.arange(1, len(SURNAMES) + 1, dtype=float)
    weights = 1.0 / ranks**0.9
    return weights / weights.sum()


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random Chinese full names: a surname and one or two given-name characters."""
    surnames = np.array(list(SURNAMES))[rng.choice(len(SURNAMES), size=n, p=_surname_weights())]
    chars = np.array(list(GIVEN_CHARS))
    first = chars[rng.integers(0, len(chars), size=n)]
    second = chars[rng.integers(0, len(chars), size=n)]
    two = rng.random(n) < 0.7  # most modern given names have two characters
    given = np.where(two, np.char.add(first, second), first)
    return np.char.add(surnames, given).astype(object)


def mobile_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random 11-digit mainland mobile numbers 1[3-9]xxxxxxxxx."""
    second = rng.integers(3, 10, size=n).astype(str)
    rest = np.char.zfill(rng.integers(0, 1_000_000_000, size=n).astype(str), 9)
    return np.char.add(np.char.add("1", second), rest).astype(object)


def id_check_digit(first17: np.ndarray) -> np.ndarray:
    """GB 11643 check characters for an (n, 17) array of digits."""
    return ID_CHECK[(first17 @ ID_WEIGHTS) % 11]


def id_cards(
    rng: np.random.Generator, n: int, local_area: str, *, min_year: int = 1950, max_year: int = 2006
) -> np.ndarray:
    """Random 18-character resident ID numbers with valid check digits (mostly local people)."""
    areas = np.array([local_area, *ORIGIN_AREA_CODES])
    probs = np.array([0.75] + [0.25 / len(ORIGIN_AREA_CODES)] * len(ORIGIN_AREA_CODES))
    area = areas[rng.choice(len(areas), size=n, p=probs)]
    # birth date: any day; drawing a day offset keeps every date valid
    base = np.datetime64(f"{min_year}-01-01")
    span = (np.datetime64(f"{max_year}-12-31") - base).astype(int)
    birth = (base + rng.integers(0, span, size=n)).astype("datetime64[D]")
    birth_txt = np.char.replace(np.datetime_as_string(birth, unit="D"), "-", "")
    seq = rng.integers(0, 1000, size=n)
    body = np.char.add(np.char.add(area, birth_txt), np.char.zfill(seq.astype(str), 3))
    digits = np.frombuffer("".join(body).encode("ascii"), dtype=np.uint8).reshape(n, 17) - 48
    return np.char.add(body, id_check_digit(digits.astype(np.int64))).astype(object)


def unique_names(
    rng: np.random.Generator, n: int, make, taken: set[str] | None = None
) -> list[str]:
    """Draw n distinct names from a generator function ``make(rng) -> str``."""
    seen = set(taken or ())
    out: list[str] = []
    for _ in range(n * 200):
        if len(out) == n:
            break
        name = make(rng)
        if name not in seen:
            seen.add(name)
            out.append(name)
    if len(out) < n:
        raise ValueError(f"could draw only {len(out)} of {n} distinct names")
    return out


def village_name(rng: np.random.Generator) -> str:
    """A northeast-China village name such as 李家窝堡, 东榆树屯 or 靠山村."""
    suffix = VILLAGE_SUFFIXES[rng.integers(len(VILLAGE_SUFFIXES))]
    if suffix.startswith("家"):
        return SURNAMES[rng.integers(40)] + suffix
    prefix = VILLAGE_PREFIXES[rng.integers(len(VILLAGE_PREFIXES))] if rng.random() < 0.4 else ""
    return prefix + VILLAGE_STEMS[rng.integers(len(VILLAGE_STEMS))] + suffix


def community_name(rng: np.random.Generator) -> str:
    """An urban community name such as 阳光社区 or 建设二社区 (big ones are split and numbered)."""
    stem = COMMUNITY_STEMS[rng.integers(len(COMMUNITY_STEMS))]
    part = "东西南北一二三"[rng.integers(7)] if rng.random() < 0.35 else ""
    return stem + part + "社区"


def to_fullwidth(text: str) -> str:
    """Replace ASCII digits by full-width ones (a classic data-entry fault)."""
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
