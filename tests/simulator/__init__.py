"""Tests of the ThingsCloud simulator (raw aiohttp requests, not the integration's client)."""
