"""Ready-made projects: `demo` (a small home and office) and `generated` (N devices)."""

from __future__ import annotations

from collections.abc import Callable
import random
from typing import Final, cast

from .jsontypes import Json, JsonObject
from .state import (
    Admin,
    AlarmLog,
    AttributeModel,
    Customer,
    CustomerRole,
    Device,
    DeviceGroup,
    DeviceType,
    Drift,
    ExtendInfoDef,
    Project,
    SeriesPoint,
    SimulatorState,
    wall_clock,
)

DEMO_APP_ID: Final = "demo-app"
DEMO_ACCESS_KEY: Final = "demo-access-key"
DEMO_SECRET_KEY: Final = "demo-secret-key"  # noqa: S105 - public demo credentials
DEMO_ACCOUNT: Final = "admin"
DEMO_PASSWORD: Final = "demo-password"  # noqa: S105 - public demo credentials
# MQTT app subscription: ProjectViewKey (username) and ProjectViewSecret (password).
DEMO_VIEW_KEY: Final = "demo-view-key"
DEMO_VIEW_SECRET: Final = "demo-view-secret"  # noqa: S105 - public demo credentials
DEMO_PROJECT_ID: Final = "proj-demo"
DEMO_PROJECT_NAME: Final = "Demo Home & Office 演示项目"

GENERATED_PROJECT_ID: Final = "proj-generated"

# Fixed creation times keep snapshots stable; "live" timestamps are relative to the clock.
CREATED_MS: Final = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MINUTE_MS: Final = 60_000
HOUR_MS: Final = 60 * MINUTE_MS
DAY_MS: Final = 24 * HOUR_MS


def _model(
    identifier: str, name: str, attr_type: str, data_type: str, **options: Json
) -> AttributeModel:
    return AttributeModel(identifier, name, attr_type, data_type, dict(options))


def _models(*models: AttributeModel) -> dict[str, AttributeModel]:
    return {model.identifier: model for model in models}


def _standard_infos() -> list[ExtendInfoDef]:
    return [
        ExtendInfoDef(
            "std-location",
            "location",
            "设备位置 Location",
            "标准扩展信息: 地址与坐标",
            options={"fields": ["address", "lng", "lat"]},
            create_time=CREATED_MS,
            update_time=CREATED_MS,
            is_standard=True,
        ),
        ExtendInfoDef(
            "std-contact",
            "contact",
            "联系人 Contact",
            "标准扩展信息: 联系人",
            options={"fields": ["name", "phone"]},
            create_time=CREATED_MS,
            update_time=CREATED_MS,
            is_standard=True,
        ),
    ]


def _info(
    info_id: str, info_type: str, name: str, default: Json = None, **options: Json
) -> ExtendInfoDef:
    return ExtendInfoDef(
        info_id,
        info_type,
        name,
        options=dict(options),
        create_time=CREATED_MS,
        update_time=CREATED_MS,
        default=default,
    )


def _demo_types() -> list[DeviceType]:
    th_sensor = DeviceType(
        "dt-th-sensor",
        "温湿度传感器 TH Sensor",
        "Temperature, humidity and air pressure",
        {"category": "sensor"},
        CREATED_MS,
        "mqtt",
        "direct",
        _models(
            _model(
                "temperature",
                "温度 Temperature",
                "report",
                "number",
                unit="摄氏度",
                min=-40,
                max=85,
                precision=1,
            ),
            _model(
                "humidity",
                "湿度 Humidity",
                "设备上报",
                "number",
                unit="百分比",
                min=0,
                max=100,
                precision=1,
            ),
            _model("pressure", "气压 Pressure", "Report", "number", unit="千帕", precision=2),
            _model("battery", "电量 Battery", "REPORT", "number", unit="%", min=0, max=100, step=1),
        ),
        [
            _info("ext-th-install", "text", "安装位置 Install location", ""),
            _info("ext-th-calibrated", "boolean", "已校准 Calibrated", default=False),
        ],
    )
    plug = DeviceType(
        "dt-smart-plug",
        "智能插座 Smart Plug",
        "Relay with power metering",
        {"category": "switch"},
        CREATED_MS,
        "mqtt",
        "direct",
        _models(
            _model("relay", "继电器 Relay", "share", "boolean", on_text="开", off_text="关"),
            _model(
                "power", "功率 Power", "report", "number", unit="瓦", min=0, max=3500, precision=1
            ),
            _model("energy", "累计电量 Energy", "report", "number", unit="千瓦时", precision=3),
            _model("voltage", "电压 Voltage", "report", "number", unit="V", precision=1),
            _model("current", "电流 Current", "report", "number", unit="A", precision=2),
            _model(
                "child_lock", "童锁 Child lock", "push", "bool", on_text="锁定", off_text="解锁"
            ),
            _model("led_indicator", "指示灯 LED indicator", "云端下发", "switch"),
        ),
        [_info("ext-plug-rated-power", "number", "额定功率 Rated power", 2200, unit="W")],
    )
    air = DeviceType(
        "dt-air-quality",
        "空气质量检测仪 Air Quality Monitor",
        "CO2, PM2.5 and TVOC",
        {"category": "sensor"},
        CREATED_MS,
        "modbus",
        "gateway_child",
        _models(
            _model("co2", "二氧化碳 CO₂", "report", "number", unit="ppm", min=0, max=5000),
            _model("pm25", "PM2.5", "report", "number", unit="μg/m³", min=0, precision=1),
            _model("tvoc", "TVOC", "report", "number", unit="mg/m³", precision=3),
            _model("temperature", "温度 Temperature", "report", "number", unit="°C", precision=1),
            _model(
                "air_level",
                "空气质量等级 Air quality",
                "report",
                "enum",
                items=[
                    {"value": 1, "label": "优 Excellent"},
                    {"value": 2, "label": "良 Good"},
                    {"value": 3, "label": "轻度污染 Light pollution"},
                    {"value": 4, "label": "重度污染 Heavy pollution"},
                ],
            ),
        ),
        [_info("ext-aq-room", "select", "房间 Room", "office", items=["office", "lobby"])],
    )
    door = DeviceType(
        "dt-door-sensor",
        "门窗传感器 Door/Window Sensor",
        "Contact sensor with tamper switch",
        {"category": "security"},
        CREATED_MS,
        "zigbee",
        "gateway_child",
        _models(
            _model(
                "contact", "门状态 Door", "设备上报", "boolean", on_text="打开", off_text="关闭"
            ),
            _model("tamper", "防拆 Tamper", "report", "Boolean"),
            _model("battery", "电量 Battery", "report", "number", unit="百分比", min=0, max=100),
            _model("open_count", "开门次数 Open count", "report", "number", step=1),
        ),
    )
    thermostat = DeviceType(
        "dt-thermostat",
        "温控器 Thermostat",
        "Heating and cooling controller",
        {"category": "climate"},
        CREATED_MS,
        "mqtt",
        "direct",
        _models(
            _model(
                "current_temperature",
                "当前温度 Current temperature",
                "report",
                "number",
                unit="摄氏度",
                precision=1,
            ),
            _model(
                "target_temperature",
                "目标温度 Target temperature",
                "share",
                "number",
                unit="摄氏度",
                min=5,
                max=35,
                step=0.5,
                precision=1,
            ),
            _model(
                "mode",
                "模式 Mode",
                "shared",
                "enum",
                items={
                    "off": "关闭 Off",
                    "heat": "制热 Heat",
                    "cool": "制冷 Cool",
                    "auto": "自动 Auto",
                },
            ),
            _model(
                "fan_speed",
                "风速 Fan speed",
                "push",
                "enum",
                items=[
                    {"value": 0, "label": "自动 Auto"},
                    {"value": 1, "label": "低 Low"},
                    {"value": 2, "label": "中 Medium"},
                    {"value": 3, "label": "高 High"},
                ],
            ),
            _model("eco", "节能模式 Eco", "cloud", "boolean", on_text="开启", off_text="关闭"),
            _model("away_mode", "离家模式 Away", "云端私有", "switch"),
            _model("humidity", "湿度 Humidity", "report", "number", unit="百分比", precision=0),
        ),
    )
    led = DeviceType(
        "dt-led-sign",
        "LED 显示屏 LED Sign",
        "Scrolling text display",
        {"category": "display"},
        CREATED_MS,
        "tcp",
        "direct",
        _models(
            _model("display_text", "显示内容 Text", "share", "string", max_length=64),
            _model(
                "brightness",
                "亮度 Brightness",
                "push",
                "number",
                unit="百分比",
                min=0,
                max=100,
                step=1,
                precision=0,
            ),
            _model("scroll", "滚动 Scroll", "Share", "boolean"),
            _model("note", "备注 Note", "cloud", "text"),
            _model("firmware", "固件版本 Firmware", "report", "string"),
        ),
    )
    gateway = DeviceType(
        "dt-gateway",
        "网关 Gateway",
        "Zigbee/Modbus gateway",
        {"category": "gateway"},
        CREATED_MS,
        "mqtt",
        "gateway",
        _models(
            _model("sub_devices", "子设备 Sub-devices", "report", "json"),
            _model("network", "网络 Network", "report", "object"),
            _model("ip_addresses", "IP 地址 IP addresses", "report", "array"),
            _model("channels", "通道 Channels", "report", "list"),
            _model("location", "位置 Location", "report", "location"),
            _model("map_position", "地图位置 Map position", "cloud", "map_point"),
            _model("last_boot", "上次启动 Last boot", "report", "datetime", format="iso8601"),
            _model("config", "配置 Config", "cloud", "json"),
            _model("cpu_load", "CPU 负载 CPU load", "report", "number", unit="%", precision=1),
        ),
    )
    return [th_sensor, plug, air, door, thermostat, led, gateway]


def _demo_groups() -> list[DeviceGroup]:
    return [
        DeviceGroup("grp-home", "家 Home", "Home", {"site": "home"}, CREATED_MS),
        DeviceGroup("grp-living", "客厅 Living room", "", {}, CREATED_MS, "grp-home"),
        DeviceGroup("grp-bedroom", "卧室 Bedroom", "", {}, CREATED_MS, "grp-home"),
        DeviceGroup("grp-office", "办公室 Office", "Office", {"site": "office"}, CREATED_MS),
        DeviceGroup("grp-lobby", "前台 Lobby", "", {}, CREATED_MS, "grp-office"),
    ]


# (id, name, type, groups, online, tags, attribute values)
_DemoDevice = tuple[str, str, str, list[str], bool, dict[str, str], JsonObject]

_DEMO_DEVICES: Final[list[_DemoDevice]] = [
    (
        "dev-living-th",
        "客厅温湿度 Living Room Sensor",
        "dt-th-sensor",
        ["grp-living"],
        True,
        {"room": "living"},
        {"temperature": 23.6, "humidity": 48.2, "pressure": 101.32, "battery": 87},
    ),
    (
        "dev-bedroom-th",
        "卧室温湿度 Bedroom Sensor",
        "dt-th-sensor",
        ["grp-bedroom"],
        False,
        {"room": "bedroom"},
        {"temperature": 21.4, "humidity": 52.0, "pressure": 101.28, "battery": 12},
    ),
    (
        "dev-plug-tv",
        "电视插座 TV Plug",
        "dt-smart-plug",
        ["grp-living"],
        True,
        {"room": "living"},
        {
            "relay": True,
            "power": 86.5,
            "energy": 132.418,
            "voltage": 229.8,
            "current": 0.38,
            "child_lock": False,
            "led_indicator": True,
        },
    ),
    (
        "dev-office-aq",
        "办公室空气质量 Office Air Quality",
        "dt-air-quality",
        ["grp-office"],
        True,
        {"floor": "3"},
        {"co2": 812, "pm25": 18.0, "tvoc": 0.125, "temperature": 24.3, "air_level": 2},
    ),
    (
        "dev-front-door",
        "前门门磁 Front Door Sensor",
        "dt-door-sensor",
        ["grp-home"],
        True,
        {"zone": "entrance"},
        {"contact": True, "tamper": False, "battery": 64, "open_count": 37},
    ),
    (
        "dev-thermostat",
        "客厅温控器 Living Room Thermostat",
        "dt-thermostat",
        ["grp-living"],
        True,
        {"room": "living"},
        {
            "current_temperature": 22.1,
            "target_temperature": 23.5,
            "mode": "heat",
            "fan_speed": 0,
            "eco": False,
            "away_mode": False,
            "humidity": 45,
        },
    ),
    (
        "dev-lobby-led",
        "前台 LED 屏 Lobby LED Sign",
        "dt-led-sign",
        ["grp-lobby"],
        True,
        {"floor": "1"},
        {
            "display_text": "欢迎光临 Welcome",
            "brightness": 80,
            "scroll": True,
            "note": "",
            "firmware": "v2.3.1",
        },
    ),
    (
        "dev-gateway",
        "家庭网关 Home Gateway",
        "dt-gateway",
        ["grp-home"],
        True,
        {"room": "study"},
        {
            "sub_devices": {
                "count": 2,
                "online": 2,
                "ids": ["dev-front-door", "dev-office-aq"],
            },
            "network": {"ssid": "Home-5G", "rssi": -56, "mode": "wifi"},
            "ip_addresses": ["192.168.1.2", "fe80::1"],
            "channels": [11, 15, 20],
            "location": {"lng": 121.4737, "lat": 31.2304},
            "map_position": {"lng": 121.4740, "lat": 31.2310},
            "last_boot": "2024-06-01T08:00:00Z",
            "config": {"report_interval": 60, "debug": False},
            "cpu_load": 12.5,
            "uptime": 86400,
        },
    ),
    ("dev-spare-plug", "备用插座 Spare Plug", "dt-smart-plug", [], False, {}, {}),
]

# Attributes that drift on each tick of the demo.
_DEMO_DRIFT: Final[dict[str, dict[str, Drift]]] = {
    "dev-living-th": {"temperature": Drift(0.3), "humidity": Drift(0.8)},
    "dev-plug-tv": {"power": Drift(5.0), "energy": Drift(0.01, increasing=True)},
    "dev-office-aq": {"co2": Drift(20), "pm25": Drift(1.5), "tvoc": Drift(0.01)},
    "dev-thermostat": {"current_temperature": Drift(0.2)},
}


def _seed_history(
    state: SimulatorState, device: Device, rng: random.Random, points: int, interval_ms: int
) -> None:
    """History before the current value of numeric and boolean attributes."""
    for identifier, current in device.attributes.items():
        value = current.value
        if not isinstance(value, bool | int | float):
            continue
        model = state.model_of(device, identifier)
        precision = model.data_options.get("precision", 2) if model else 2
        digits = precision if isinstance(precision, int) else 2
        for index in range(points, 0, -1):
            past: Json
            if isinstance(value, bool):
                past = rng.random() < 0.5
            elif isinstance(value, int):
                past = max(0, value - rng.randint(0, max(1, abs(value) // 10)))
            else:
                past = round(value * (1 + rng.uniform(-0.05, 0.05)), digits)
            state.add_point(device, identifier, past, current.ts - index * interval_ms, "report")


def _meter_kw(ts: int, rng: random.Random) -> float:
    """The power (kW) a household meter draws at `ts`, by the hour of the day in China."""
    hour = (ts // HOUR_MS + 8) % 24
    if 18 <= hour < 23:
        base = 0.42
    elif 7 <= hour < 9:
        base = 0.2
    elif hour < 6:
        base = 0.03
    else:
        base = 0.08
    return base * rng.uniform(0.7, 1.3)


def meter_history(
    end_ts: int,
    end_value: float,
    rng: random.Random,
    *,
    days: int,
    reset_days_ago: float | None = None,
    gap_days_ago: float | None = None,
    gap_hours: float = 6,
    name: str = "energy",
) -> list[SeriesPoint]:
    """A kWh meter reporting every 5 minutes for `days` days, last `end_value` at `end_ts`.

    It rises by what a household draws in 5 minutes (more in the evening). With
    `reset_days_ago` it restarts near 0 then (counting from about 2000 kWh before); with
    `gap_days_ago` it does not report for `gap_hours` from then on (but keeps counting).
    Oldest first, rounded to Wh.
    """
    step = 5 * MINUTE_MS
    count = days * DAY_MS // step
    times = [end_ts - (count - 1 - k) * step for k in range(count)]
    usage = [_meter_kw(ts, rng) * step / HOUR_MS for ts in times]  # kWh up to each report
    values = [0.0] * count
    first = 0
    if reset_days_ago is None:
        values[0] = end_value - sum(usage[1:])
    else:
        first = count - round(reset_days_ago * DAY_MS / step)
        values[first] = round(rng.uniform(0.005, 0.05), 3)
        scale = (end_value - values[first]) / sum(usage[first + 1 :])
        usage = [kwh * scale for kwh in usage]
        level = rng.uniform(1500.0, 2500.0)
        for index in range(first):
            level += usage[index]
            values[index] = level
    for index in range(first + 1, count):
        values[index] = values[index - 1] + usage[index]
    values[-1] = end_value
    gap_start = end_ts - round((gap_days_ago or 0) * DAY_MS)
    gap_end = gap_start + round(gap_hours * HOUR_MS) if gap_days_ago is not None else gap_start
    return [
        SeriesPoint(ts, name, round(value, 3), "report")
        for ts, value in zip(times, values, strict=True)
        if not gap_start <= ts < gap_end
    ]


def demo_state(
    *, now: float | None = None, clock: Callable[[], float] = wall_clock
) -> SimulatorState:
    """The demo project: 9 devices of 7 types in a home and an office.

    One device is offline (dev-bedroom-th), one is alarming (dev-front-door, level 2) and one
    was never activated (dev-spare-plug). Timestamps are relative to `now` (default: the clock).
    """
    state = SimulatorState(
        Project(
            DEMO_PROJECT_ID,
            DEMO_PROJECT_NAME,
            "家庭与办公室演示 Home and office demo",
            {"env": "demo"},
        ),
        app_id=DEMO_APP_ID,
        access_key=DEMO_ACCESS_KEY,
        secret_key=DEMO_SECRET_KEY,
        project_key="pk-demo-0123456789",
        view_key=DEMO_VIEW_KEY,
        view_secret=DEMO_VIEW_SECRET,
        clock=clock,
    )
    now_ms = int((clock() if now is None else now) * 1000)
    state.standard_infos = _standard_infos()
    for device_type in _demo_types():
        state.add_device_type(device_type)
    for group in _demo_groups():
        state.add_group(group)

    rng = random.Random(42)
    for index, (device_id, name, type_id, groups, online, tags, values) in enumerate(_DEMO_DEVICES):
        device = Device(
            device_id,
            name,
            type_id,
            descr=f"{name} (demo)",
            device_key=f"DK{index + 1:04d}" if values else "",
            tags=dict(tags),
            create_time=CREATED_MS + index * DAY_MS,
            groups=list(groups),
            online=online,
        )
        state.add_device(device)
        if not values:
            continue  # never activated
        last = now_ms - (index + 1) * 7_000 if online else now_ms - 2 * DAY_MS
        device.active = {"attributes": last, "online": last - 3 * HOUR_MS}
        state.set_attributes(device_id, values, ts=last)
        _seed_history(state, device, rng, 48, 30 * MINUTE_MS)
    # The TV plug's energy meter: 35 days of 5-minute reports, a reset and a 6-hour gap.
    energy = state.devices["dev-plug-tv"].attributes["energy"]
    state.series[("dev-plug-tv", "energy")] = meter_history(
        energy.ts,
        cast("float", energy.value),
        random.Random(7),
        days=35,
        reset_days_ago=27.5,
        gap_days_ago=9.25,
    )

    state.devices["dev-living-th"].standard_infos["location"] = {
        "address": "上海市 客厅 Living room",
        "lng": 121.4737,
        "lat": 31.2304,
    }
    state.devices["dev-office-aq"].standard_infos["contact"] = {
        "name": "Facility 物业",
        "phone": "+86 21 5555 0100",
    }
    state.devices["dev-living-th"].extend_values["ext-th-install"] = "电视柜旁 Next to the TV"

    _demo_alarms(state, now_ms)
    _demo_people(state)
    state.drift = {key: dict(value) for key, value in _DEMO_DRIFT.items()}
    state.change_share = 1.0
    return state


def _demo_alarms(state: SimulatorState, now_ms: int) -> None:
    door_info: JsonObject = {
        "rule": "门长时间未关 Door left open",
        "attribute": "contact",
        "value": True,
    }
    co2_info: JsonObject = {"rule": "CO₂ 超标 CO2 high", "attribute": "co2", "value": 1650}
    battery_info: JsonObject = {"rule": "电量低 Low battery", "attribute": "battery", "value": 12}
    notify: list[Json] = [{"channel": "email", "status": "sent", "ts": now_ms - 14 * MINUTE_MS}]
    # (device, status, level, info, age)
    rows: list[tuple[str, int, int, JsonObject, int]] = [
        ("dev-front-door", 1, 2, door_info, DAY_MS + 10 * MINUTE_MS),
        ("dev-front-door", 0, 2, door_info, DAY_MS),
        ("dev-bedroom-th", 1, 1, battery_info, 3 * DAY_MS),
        ("dev-office-aq", 1, 1, co2_info, 3 * HOUR_MS),
        ("dev-office-aq", 0, 1, co2_info, 2 * HOUR_MS),
        ("dev-front-door", 1, 2, door_info, 15 * MINUTE_MS),
    ]
    for device_id, status, level, info, age in rows:
        device = state.devices[device_id]
        state.alarm_logs.append(
            AlarmLog(
                state.new_id("alarm"),
                device_id,
                device.name,
                status,
                level,
                dict(info),
                now_ms - age,
                list(notify) if status else [],
            )
        )
    door = state.devices["dev-front-door"]
    door.alarm = {"alarm_status": 1, "alarm_level": 2, "alarm_info": dict(door_info)}
    door.active["alarm"] = now_ms - 15 * MINUTE_MS


def _demo_people(state: SimulatorState) -> None:
    state.admins["admin-0001"] = Admin(
        "admin-0001",
        DEMO_ACCOUNT,
        DEMO_PASSWORD,
        "管理员 Admin",
        "admin@example.com",
        {"role": "owner"},
    )
    for role in (
        CustomerRole(
            "role-family",
            "家庭成员 Family",
            "Home users",
            allow_operate_device=True,
            allow_alarm_msg_maintain=True,
            allow_add_device=True,
            create_time=CREATED_MS,
        ),
        CustomerRole(
            "role-office",
            "办公室职员 Office staff",
            allow_operate_device=True,
            create_time=CREATED_MS,
        ),
        CustomerRole(
            "role-guest",
            "访客 Guest",
            "Read only",
            allow_operate_device=False,
            create_time=CREATED_MS,
        ),
    ):
        state.roles[role.id] = role
    state.add_customer(
        Customer(
            "cust-alice",
            "alice",
            "alice-password",
            "张三 Alice",
            "Home owner",
            "role-family",
            "alice@example.com",
            "+86 138 0000 0001",
            {"vip": "yes"},
            "zh-CN",
            CREATED_MS,
            [
                "dev-living-th",
                "dev-bedroom-th",
                "dev-plug-tv",
                "dev-front-door",
                "dev-thermostat",
                "dev-gateway",
            ],
        )
    )
    state.add_customer(
        Customer(
            "cust-bob",
            "bob",
            "bob-password",
            "李四 Bob",
            "Office manager",
            "role-office",
            "bob@example.com",
            "+86 138 0000 0002",
            {},
            "en-US",
            CREATED_MS + DAY_MS,
            ["dev-office-aq", "dev-lobby-led"],
        )
    )
    state.add_customer(
        Customer(
            "cust-carol",
            "carol",
            "carol-password",
            "王五 Carol",
            "",
            "role-guest",
            "",
            "",
            {},
            "zh-CN",
            CREATED_MS + 2 * DAY_MS,
            [],
        )
    )


_GENERATED_UNITS: Final = ["摄氏度", "百分比", "千帕", "瓦", "千瓦时", "ppm", "lx", "V"]


def generated_state(
    devices: int = 100,
    attributes: int = 10,
    change_share: float = 0.05,
    seed: int = 0,
    *,
    history_points: int = 5,
    meters: int = 0,
    now: float | None = None,
    clock: Callable[[], float] = wall_clock,
) -> SimulatorState:
    """`devices` devices with `attributes` numeric attributes each; tick() changes a share.

    Ids: device type `dt-generated`, devices `gen-00001`..., attributes `attr_01`...
    Every 20th device is offline, every 50th alarming (level 1). Same credentials as the demo.
    `meters` more devices (`meter-0001`..., type `dt-generated-meter`) have an `energy`
    attribute (kWh, report) with 30 days of reports every 5 minutes.
    """
    if devices < 0 or attributes < 0 or meters < 0 or not 0 <= change_share <= 1:
        raise ValueError("devices, attributes and meters must be >= 0, change_share in [0, 1]")
    state = SimulatorState(
        Project(GENERATED_PROJECT_ID, f"Generated 生成项目 ({devices} devices)", "", {}),
        app_id=DEMO_APP_ID,
        access_key=DEMO_ACCESS_KEY,
        secret_key=DEMO_SECRET_KEY,
        view_key=DEMO_VIEW_KEY,
        view_secret=DEMO_VIEW_SECRET,
        clock=clock,
        seed=seed,
    )
    now_ms = int((clock() if now is None else now) * 1000)
    rng = random.Random(seed)
    identifiers = [f"attr_{i + 1:02d}" for i in range(attributes)]
    models = _models(
        *(
            _model(
                identifier,
                f"属性 Attribute {i + 1}",
                "report",
                "number",
                unit=_GENERATED_UNITS[i % len(_GENERATED_UNITS)],
                min=0,
                max=1000,
                precision=2,
            )
            for i, identifier in enumerate(identifiers)
        )
    )
    state.add_device_type(
        DeviceType("dt-generated", "生成设备 Generated device", "", {}, CREATED_MS, models=models)
    )
    state.add_group(DeviceGroup("grp-gen-a", "A 组 Group A", create_time=CREATED_MS))
    state.add_group(DeviceGroup("grp-gen-b", "B 组 Group B", create_time=CREATED_MS))
    state.add_group(
        DeviceGroup("grp-gen-b1", "B1 子组 Subgroup B1", create_time=CREATED_MS, parent="grp-gen-b")
    )
    state.admins["admin-0001"] = Admin("admin-0001", DEMO_ACCOUNT, DEMO_PASSWORD, "管理员 Admin")
    owner = state.add_customer(
        Customer("cust-owner", "owner", "owner-password", "Owner 业主", create_time=CREATED_MS)
    )
    drift = {identifier: Drift(25.0) for identifier in identifiers}
    for number in range(1, devices + 1):
        device_id = f"gen-{number:05d}"
        group = ("grp-gen-a", "grp-gen-b", "grp-gen-b1")[number % 3]
        device = state.add_device(
            Device(
                device_id,
                f"设备 Device {number}",
                "dt-generated",
                device_key=f"GEN{number:05d}",
                create_time=CREATED_MS + number * MINUTE_MS,
                groups=[group],
                online=number % 20 != 0,
            )
        )
        owner.device_ids.append(device_id)
        if number % 50 == 0:
            device.alarm = {"alarm_status": 1, "alarm_level": 1, "alarm_info": {"rule": "gen"}}
        ts = now_ms - rng.randint(1, 600) * 1000
        device.active = {"attributes": ts, "online": ts - HOUR_MS}
        values: JsonObject = {i: round(rng.uniform(0, 1000), 2) for i in identifiers}
        state.set_attributes(device_id, values, ts=ts)
        _seed_history(state, device, rng, history_points, 5 * MINUTE_MS)
        state.drift[device_id] = drift
    if meters:
        _add_meters(state, owner, meters, seed, now_ms)
    state.change_share = change_share
    return state


def _add_meters(state: SimulatorState, owner: Customer, count: int, seed: int, now_ms: int) -> None:
    """Energy meters with 30 days of history, each from its own random generator."""
    energy = _model("energy", "累计电量 Energy", "report", "number", unit="千瓦时", precision=3)
    state.add_device_type(
        DeviceType(
            "dt-generated-meter",
            "生成电表 Generated meter",
            "",
            {},
            CREATED_MS,
            models=_models(energy),
        )
    )
    for number in range(1, count + 1):
        rng = random.Random(f"meter-{seed}-{number}")
        device_id = f"meter-{number:04d}"
        device = state.add_device(
            Device(
                device_id,
                f"电表 Meter {number}",
                "dt-generated-meter",
                device_key=f"MTR{number:04d}",
                create_time=CREATED_MS + number * MINUTE_MS,
                groups=["grp-gen-a"],
                online=True,
            )
        )
        owner.device_ids.append(device_id)
        ts = now_ms - rng.randint(1, 300) * 1000
        value = round(rng.uniform(500.0, 5000.0), 3)
        device.active = {"attributes": ts, "online": ts - HOUR_MS}
        state.set_attributes(device_id, {"energy": value}, ts=ts)
        state.series[(device_id, "energy")] = meter_history(ts, value, rng, days=30)
        state.drift[device_id] = {"energy": Drift(0.05, increasing=True)}
