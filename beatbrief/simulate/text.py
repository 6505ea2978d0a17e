"""Free text typed by desk officers: addresses and case summaries (which leak personal data)."""

from __future__ import annotations

import numpy as np

from beatbrief.simulate.categories import CATEGORIES
from beatbrief.simulate.geography import Bureau

VENUES = {
    "market": ("农贸市场", "早市", "批发市场"),
    "shop": ("超市", "便利店", "手机店", "服装店", "饭店"),
    "internet_cafe": ("网吧", "网咖"),
    "hotel": ("宾馆", "快捷酒店", "旅店"),
    "entertainment_venue": ("KTV", "酒吧", "洗浴中心", "烧烤店"),
    "transport_station": ("客运站", "火车站", "公交总站"),
    "school_area": ("中学门前", "小学门口", "职业学校附近"),
    "workplace": ("工地", "厂区", "办公楼"),
    "other": ("",),
}
ITEMS = ("手机", "钱包", "电动车电瓶", "现金", "笔记本电脑", "金项链", "背包", "身份证")
VEHICLES = ("电动自行车", "摩托车", "三轮车", "电动车")
REASONS = (
    "噪音",
    "漏水",
    "占道停车",
    "宅基地界线",
    "琐事",
    "债务",
    "赡养老人",
    "彩礼",
    "房屋租金",
    "货款",
)
PRETEXTS = ("网购退款", "刷单返利", "贷款办理", "冒充公检法", "冒充熟人借钱", "投资理财")
HELPS = ("老人走失", "钥匙锁在屋内", "醉酒人员倒地", "儿童走失", "车辆被堵", "有人情绪激动欲轻生")
TOPICS = ("户籍办理", "身份证补办", "居住证办理", "出入境业务")
TEMPLATES = {
    "theft": "{who}报称在{spot}被盗{item}，价值约{value}元。",
    "burglary": "{who}报称其位于{spot}的住处被撬门入室，丢失{item}等物品，价值约{value}元。",
    "vehicle_theft": "{who}报称停放在{spot}的{vehicle}被盗。",
    "pickpocketing": "{who}报称在{spot}人多拥挤处{item}被扒窃。",
    "fraud": "{who}报称接到陌生电话，被以{pretext}为由骗走人民币{value}元。",
    "robbery": "{who}报称在{spot}附近被一男子抢走挎包，内有{item}。",
    "assault": "{who}报称在{spot}与他人发生口角后被殴打{suspect}。",
    "drugs": "民警在{spot}检查时查获涉毒人员{suspect}。",
    "gambling": "群众举报{spot}有人聚众赌博{suspect}。",
    "disorder": "{who}报称{spot}有人酒后滋事{suspect}。",
    "prostitution": "民警在{spot}检查时查获卖淫嫖娼人员{suspect}。",
    "neighbour_dispute": "{who}报称与邻居因{reason}发生纠纷{suspect}，请求调解。",
    "family_dispute": "{who}报称与家人因{reason}发生争吵，请求民警调解。",
    "commercial_dispute": "{who}报称在{spot}与经营者因{reason}发生纠纷{suspect}。",
    "traffic_dispute": "{who}报称在{spot}发生剐蹭事故，双方对责任有争议。",
    "lost_property": "{who}报称在{spot}遗失{item}。",
    "assistance": "{who}报称{help}，请求民警帮助。",
    "other": "{who}来电咨询{topic}事宜。",
}


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    return np.array(options, dtype=object)[rng.integers(0, len(options), n)]


def addresses(bureau: Bureau, cases: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Addresses as a desk officer would type them: road and number in town, village outside."""
    county = bureau.spec.place_name
    com, seg = bureau.communities, bureau.segments
    c = cases["community"]
    n = len(c)
    rural = com["area_type"].to_numpy()[c] == "rural"
    village = com["community_name"].to_numpy()[c]
    station_names = bureau.stations["station_name"].to_numpy()
    place = np.array(
        [s.removeprefix(county).removesuffix("派出所") for s in station_names], dtype=object
    )
    town = place[com["station_index"].to_numpy()[c]]
    road = seg["road_name"].to_numpy()[cases["nearest_segment"]]
    compound = np.array(
        [nm.removesuffix("社区") for nm in com["community_name"].to_list()], dtype=object
    )[c]
    number = rng.integers(1, 400, n)
    building, unit, floor, room = (rng.integers(1, k, n) for k in (30, 7, 19, 5))
    venue_choice = rng.integers(0, 5, n)
    group = rng.integers(1, 12, n)
    out = np.empty(n, dtype=object)
    for i in range(n):
        pt = cases["place_type"][i]
        if rural[i]:
            prefix = f"{county}{town[i] if town[i].endswith(('镇', '乡')) else ''}{village[i]}"
            out[i] = prefix + ("村路旁" if pt == "street" else f"{group[i]}组")
        elif pt == "residential_compound":
            out[i] = (
                f"{county}{road[i]}{number[i]}号{compound[i]}小区{building[i]}栋{unit[i]}单元"
                f"{floor[i]}0{room[i]}室"
            )
        elif pt == "street":
            out[i] = f"{county}{road[i]}{number[i]}号附近"
        else:
            options = VENUES.get(pt, ("",))
            out[i] = f"{county}{road[i]}{number[i]}号{options[venue_choice[i] % len(options)]}"
    return out


def summaries(cases: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Short case narratives; some embed the reporter's name, phone and ID number (PII)."""
    n = len(cases["category"])
    u = rng.random(n)
    s = rng.random(n)
    item, vehicle, reason = _pick(rng, ITEMS, n), _pick(rng, VEHICLES, n), _pick(rng, REASONS, n)
    pretext, help_, topic = _pick(rng, PRETEXTS, n), _pick(rng, HELPS, n), _pick(rng, TOPICS, n)
    value = (rng.lognormal(7.5, 1.2, n) // 10 * 10).astype(np.int64) + 50
    out = np.empty(n, dtype=object)
    for i in range(n):
        name, phone, idc = (
            cases[k][i] for k in ("reporter_name", "reporter_phone", "reporter_id_card")
        )
        if name is None:
            who = "群众"
        elif u[i] < 0.08 and phone and idc:
            who = f"报警人{name}（电话{phone}，身份证号{idc}）"
        elif u[i] < 0.20 and phone:
            who = f"报警人{name}（{phone}）"
        elif u[i] < 0.45:
            who = f"报警人{name}"
        else:
            who = "报警人"
        suspect = cases["suspect_name"][i]
        suspect_txt = f"（对方{suspect}）" if suspect is not None and s[i] < 0.3 else ""
        spot = cases["address"][i]
        out[i] = TEMPLATES[CATEGORIES[cases["category"][i]].name].format(
            who=who,
            spot=spot,
            item=item[i],
            value=value[i],
            vehicle=vehicle[i],
            reason=reason[i],
            pretext=pretext[i],
            help=help_[i],
            topic=topic[i],
            suspect=suspect_txt,
        )
    return out
