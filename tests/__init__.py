"""Tests for the ThingsCloud integration."""
