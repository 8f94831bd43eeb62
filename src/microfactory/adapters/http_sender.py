"""The real webhook sender: one HTTP POST with a bounded timeout."""

from __future__ import annotations

import httpx


class HttpSender:
    def __init__(self, timeout_s: float = 5.0, client: httpx.Client | None = None) -> None:
        self.client = client or httpx.Client(timeout=timeout_s, follow_redirects=False)

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        return self.client.post(url, content=body, headers=headers).status_code
