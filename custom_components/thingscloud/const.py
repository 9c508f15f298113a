"""Constants for the ThingsCloud integration."""

from typing import Final

DOMAIN: Final = "thingscloud"
