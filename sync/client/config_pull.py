"""Pull configuration published at the centre (service catalogue, guides, holiday calendar) by version."""

from __future__ import annotations

import logging

from sync.client.session import SignedClient
from sync.client.source import ConfigSink

log = logging.getLogger(__name__)


def pull_config(client: SignedClient, sink: ConfigSink) -> int:
    """Fetch documents newer than the kiosk's version and apply them; returns the version now held."""
    have = sink.config_version()
    answer = client.request("GET", "/v1/config", params={"since": have})
    docs = answer.get("documents") or []
    version = int(answer.get("version", have))
    if docs and version > have:
        sink.apply_config(version, docs)
        log.info("applied configuration version %s (%s)", version, ", ".join(d["kind"] for d in docs))
        return version
    return have
