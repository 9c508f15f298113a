"""ThingsCloud's words as they appear in API answers and thing models (data only).

Every table of the thing-model vocabulary lives here, so that one mapping module reads it.
"""

from typing import Final

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
