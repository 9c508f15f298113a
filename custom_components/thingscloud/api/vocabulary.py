"""ThingsCloud's thing-model words as they appear in API answers (data only, HA-free).

Every table of the thing-model vocabulary lives here; ``attributes`` and ``thing_model`` read
them. Units and device classes are spelled as Home Assistant's values (``"°C"``,
``"humidity"``).
"""

from typing import Final

# Alarm levels: 1 普通 (minor), 2 严重 (major), 3 紧急 (critical).
ALARM_LEVEL_NAMES: Final[dict[int, str]] = {1: "minor", 2: "major", 3: "critical"}

# attr_type and data_type words are compared without whitespace, "_" and "-", case-folded.

# Canonical attr_type -> its other spellings. report is read-only; push and share are written
# to the device, cloud to the cloud only.
ATTR_TYPES: Final[dict[str, tuple[str, ...]]] = {
    "report": ("设备上报", "上报"),
    "push": ("云端下发", "下发"),
    "share": ("shared", "设备云端共享", "共享"),
    "cloud": ("云端私有", "私有"),
}

# Canonical data_type -> its other spellings.
DATA_TYPES: Final[dict[str, tuple[str, ...]]] = {
    "number": ("int", "integer", "float", "double", "数值", "数字", "数值型"),
    "boolean": ("bool", "switch", "布尔", "布尔型", "开关"),
    "string": ("text", "str", "字符串", "文本"),
    "enum": ("枚举", "枚举型"),
    "json": ("object", "json对象", "对象"),
    "array": ("list", "数组"),
    "location": ("map_point", "mappoint", "位置", "地理位置", "定位"),
}

# Words meaning on/true and off/false, compared after strip() and casefold().
# A Switch attribute holds true/false, 1/0 or ON/OFF; devices and people write more.
TRUE_WORDS: Final = frozenset(
    {
        "true",
        "1",
        "on",
        "yes",
        "online",
        "open",
        "opened",
        "running",
        "开",
        "开启",
        "打开",
        "是",
        "在线",
    }
)
FALSE_WORDS: Final = frozenset(
    {"false", "0", "off", "no", "offline", "closed", "stopped", "关", "关闭", "否", "离线"}
)

# Canonical unit (Home Assistant's value) -> other spellings seen in thing models. Whitespace
# is ignored; case only for spellings of three or more characters that stay unambiguous.
UNITS: Final[dict[str, tuple[str, ...]]] = {
    "°C": ("℃", "°c", "C", "c", "摄氏度", "摄氏", "degC", "celsius"),
    "°F": ("℉", "°f", "华氏度", "华氏", "degF", "fahrenheit"),
    "K": ("开尔文", "kelvin"),
    "%": ("\uff05", "百分比", "百分号", "percent", "pct", "%RH", "RH%", "\uff05RH"),
    "Pa": ("帕", "帕斯卡", "pa", "PA"),
    "hPa": ("百帕",),
    "kPa": ("千帕",),
    "MPa": ("兆帕", "MPA", "Mpa"),
    "bar": ("巴",),
    "mbar": ("毫巴",),
    "psi": (),
    "mmHg": ("毫米汞柱",),
    "V": ("v", "伏", "伏特"),
    "mV": ("mv", "毫伏"),
    "kV": ("kv", "KV", "千伏"),
    "A": ("安", "安培"),
    "mA": ("ma", "毫安"),
    "μA": ("µA", "uA", "微安"),
    "W": ("w", "瓦", "瓦特"),
    "kW": ("kw", "KW", "Kw", "千瓦"),
    "mW": ("毫瓦",),
    "kWh": ("度", "千瓦时", "千瓦·时", "kW·h", "kW.h", "kW*h"),
    "Wh": ("瓦时", "W·h"),
    "MWh": ("兆瓦时",),
    "VA": ("伏安",),
    "var": ("乏",),
    "Hz": ("hz", "HZ", "赫兹", "赫"),
    "kHz": ("千赫", "千赫兹"),
    "MHz": ("兆赫", "兆赫兹"),
    "lx": ("LX", "Lx", "lux", "勒克斯", "勒"),
    "dB": ("db", "DB", "分贝"),
    "dBA": ("dB(A)",),
    "dBm": ("分贝毫瓦",),
    "ppm": (),
    "ppb": (),
    "μg/m³": (
        "µg/m³",
        "ug/m³",
        "μg/m3",
        "µg/m3",
        "ug/m3",
        "ug/m^3",
        "μg/m^3",
        "微克/立方米",
        "微克每立方米",
    ),
    "mg/m³": ("mg/m3", "mg/m^3", "毫克/立方米"),
    "m": ("米",),
    "cm": ("厘米",),
    "mm": ("毫米",),
    "km": ("KM", "Km", "千米", "公里"),
    "kg": ("KG", "Kg", "千克", "公斤"),
    "g": ("克",),
    "mg": ("毫克",),
    "L": ("l", "升"),
    "mL": ("ml", "毫升"),
    "m³": ("m3", "M3", "m^3", "立方米", "方"),
    "ms": ("毫秒",),
    "s": ("秒", "sec", "second", "seconds"),
    "min": ("分钟", "分", "minute", "minutes"),
    "h": ("小时", "时", "hr", "hour", "hours"),
    "d": ("天", "日", "day", "days"),
    "m/s": ("米/秒", "米每秒"),
    "km/h": ("千米/小时", "公里/小时", "千米每小时", "kph"),
    "m³/h": ("m3/h", "立方米/小时"),
    "L/min": ("升/分钟",),
    "L/h": ("升/小时",),
    "mm/h": ("毫米/小时",),
    "W/m²": ("W/m2", "瓦/平方米"),
    "μS/cm": ("µS/cm", "uS/cm", "微西门子/厘米"),
    "mS/cm": ("毫西门子/厘米",),
    "rpm": ("r/min", "转/分", "转/分钟", "转每分"),
    "°": ("deg", "degree", "degrees"),
}
# Canonical units above that are no Home Assistant unit (kept as spelled here).
UNITS_WITHOUT_HA_VALUE: Final = frozenset({"MPa"})

# Device class -> the units that imply it on their own. Ambiguous units (%, ppm, μg/m³,
# lengths, durations, volumes, dB, °) are left to the hints below.
UNIT_DEVICE_CLASSES: Final[dict[str, tuple[str, ...]]] = {
    "temperature": ("°C", "°F", "K"),
    "pressure": (
        *("mPa", "Pa", "hPa", "kPa", "bar", "cbar", "mbar"),
        *("mmHg", "inHg", "inH₂O", "psi", "atm"),
    ),
    "voltage": ("μV", "mV", "V", "kV", "MV"),
    "current": ("μA", "mA", "A"),
    "power": ("mW", "W", "kW", "MW", "GW", "TW"),
    "energy": (
        *("J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh"),
        *("cal", "kcal", "Mcal", "Gcal", "thm"),
    ),
    "apparent_power": ("mVA", "VA", "kVA"),
    "reactive_power": ("mvar", "var", "kvar"),
    "frequency": ("mHz", "Hz", "kHz", "MHz", "GHz"),
    "speed": ("Beaufort", "ft/s", "in/s", "m/min", "m/s", "km/h", "kn", "mph", "mm/s"),
    "volume_flow_rate": (
        *("m³/h", "m³/min", "m³/s", "ft³/min", "L/h", "L/min", "L/s"),
        *("gal/h", "gal/min", "gal/d", "mL/s"),
    ),
    "precipitation_intensity": ("in/d", "in/h", "mm/d", "mm/h"),
    "irradiance": ("W/m²", "BTU/(h⋅ft²)"),
    "conductivity": ("S/cm", "μS/cm", "mS/cm"),
    "weight": ("g", "kg", "mg", "μg", "oz", "lb", "st"),
    "illuminance": ("lx",),
    "signal_strength": ("dBm",),
    "sound_pressure": ("dBA",),
}

# Sensor device classes suggested by words of the identifier, name or unit, in priority
# order. ASCII hints match whole words (camelCase and separators split words; two adjacent
# words also match joined, so "pm2.5" matches "pm25"); other hints match substrings.
SENSOR_HINTS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("moisture", ("moisture", "soil", "土壤", "墒情")),
    ("humidity", ("humidity", "hum", "humi", "rh", "湿度")),
    ("battery", ("battery", "bat", "batt", "电量", "电池")),
    ("power_factor", ("pf", "powerfactor", "功率因数")),
    ("carbon_dioxide", ("co2", "二氧化碳")),
    ("carbon_monoxide", ("co", "一氧化碳")),
    ("volatile_organic_compounds_parts", ("voc", "tvoc", "挥发性有机物")),
    ("volatile_organic_compounds", ("voc", "tvoc", "挥发性有机物")),
    ("pm1", ("pm1",)),
    ("pm25", ("pm25", "细颗粒物")),
    ("pm10", ("pm10", "可吸入颗粒物")),
    ("nitrogen_dioxide", ("no2", "二氧化氮")),
    ("ozone", ("o3", "ozone", "臭氧")),
    ("sulphur_dioxide", ("so2", "二氧化硫")),
    ("atmospheric_pressure", ("atmospheric", "baro", "barometer", "气压")),
    ("wind_speed", ("wind", "风速")),
    ("wind_direction", ("wind", "风向")),
    ("sound_pressure", ("noise", "sound", "噪声", "噪音", "声音")),
    ("signal_strength", ("rssi", "signal", "snr", "信号")),
    ("precipitation", ("rain", "rainfall", "precipitation", "雨量", "降雨", "降水")),
    ("distance", ("distance", "range", "height", "depth", "level", "length")),
    ("distance", ("距离", "高度", "深度", "液位", "水位", "长度")),
    ("duration", ("duration", "runtime", "uptime", "interval", "delay", "time")),
    ("duration", ("时长", "时间", "间隔", "延时")),
    ("volume_storage", ("tank", "storage", "水箱", "储")),
    ("water", ("water", "用水", "水量", "水表")),
    ("gas", ("gas", "燃气", "天然气", "煤气", "用气")),
    ("ph", ("ph", "酸碱")),
    ("aqi", ("aqi", "空气质量指数")),
)

# Binary sensor device classes suggested by words of the identifier or name.
BINARY_SENSOR_HINTS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("door", ("door", "门磁")),
    ("window", ("window", "窗磁", "窗户")),
    ("motion", ("motion", "pir", "人体", "移动")),
    ("occupancy", ("occupancy", "presence", "有人", "存在")),
    ("smoke", ("smoke", "烟雾", "烟感")),
    ("gas", ("gas", "燃气", "可燃气")),
    ("moisture", ("leak", "flood", "水浸", "漏水")),
    ("vibration", ("vibration", "震动", "振动")),
    ("tamper", ("tamper", "防拆")),
    ("problem", ("fault", "error", "problem", "故障")),
    ("connectivity", ("online", "connected", "connectivity", "在线")),
)

# The range of a number whose unit has a natural one.
UNIT_RANGES: Final[dict[str, tuple[float, float]]] = {"%": (0.0, 100.0)}

# Keys of a location object (any case); the first holding a usable number wins.
LATITUDE_KEYS: Final = ("latitude", "lat")
LONGITUDE_KEYS: Final = ("longitude", "lon", "lng", "long")
ACCURACY_KEYS: Final = ("accuracy", "acc", "radius")  # metres

# Keys of an enum item {"value": ..., "label": ...}; the first label key present wins.
ENUM_VALUE_KEY: Final = "value"
ENUM_LABEL_KEYS: Final = ("label", "name", "text", "desc", "description")
