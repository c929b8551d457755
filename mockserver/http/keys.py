"""Typed application state keys."""

from __future__ import annotations

from aiohttp import web

from mockserver.domain.service import IdMobile, MockState
from mockserver.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
STATE = web.AppKey("state", MockState)
SERVICE = web.AppKey("service", IdMobile)
