"""Generated answers from any OpenAI-compatible chat endpoint, grounded in the retrieved posts and cited.

Client choice: plain ``httpx.AsyncClient`` posting to ``{LLM_BASE_URL}/chat/completions`` with
``"stream": true`` and reading the server-sent events (``data: {...}`` lines, ``data: [DONE]``).
httpx is already a core dependency, so the default install needs nothing more; that small slice of the
API is what Ollama (``/v1``), vLLM, llama.cpp's ``llama-server`` and OpenAI all speak, and owning the
request keeps timeouts, error handling and logging (never the key) in one visible place. The ``openai``
package stays an optional extra (``pip install .[llm]``) and is not imported here.

Nothing the model writes is trusted: its citations are checked against the sources it was given
(retrieval/answer/citations.py) and an answer that cites none, or any failure to get one (timeout, HTTP
error, connection error, bad JSON), falls back to the extractive answer with a notice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import replace

import httpx

from retrieval.answer.citations import check_citations, cited_sentences
from retrieval.answer.prompt import build_prompt
from retrieval.errors import ExecbotError
from retrieval.messages import ANSWER_UNAVAILABLE, NO_CITATIONS
from retrieval.results import Answer, AnswerSentence, SearchResult
from retrieval.settings import RetrievalSettings

logger = logging.getLogger(__name__)

_THINK = re.compile(r"<think>.*?(?:</think>|$)\s*", re.S)
TEMPERATURE = 0.2  # low: we want the sources restated, not creativity

OnDelta = Callable[[str], Awaitable[None]]


class LLMError(ExecbotError):
    """The endpoint answered, but not with a usable completion. `reason` names what was wrong in a
    word that is safe to show (by default the class name)."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or type(self).__name__


class Throttle:
    """Deliver growing text to `on_delta` at most once per `min_interval` seconds; `flush` sends the rest.

    A failing callback (say, a Discord edit that hit a rate limit) must not cost the answer, so its
    first error is logged and later updates are skipped."""

    def __init__(self, on_delta: OnDelta | None, min_interval: float) -> None:
        self.on_delta = on_delta
        self.min_interval = min_interval
        self._last_at: float | None = None
        self._sent = ""

    async def update(self, text: str, final: bool = False) -> None:
        if self.on_delta is None or not text or text == self._sent:
            return
        now = time.monotonic()
        if not final and self._last_at is not None and now - self._last_at < self.min_interval:
            return
        self._last_at, self._sent = now, text
        try:
            await self.on_delta(text)
        except Exception as exc:  # any callback failure; see the class docstring
            logger.warning("on_delta failed, no more streaming updates: %s", exc)
            self.on_delta = None

    async def flush(self, text: str) -> None:
        await self.update(text, final=True)


def _redact(message: str, key: str) -> str:
    """Servers sometimes echo the key (or a masked form of it) in error bodies: keep it out of logs."""
    if key:
        message = message.replace(key, "***")
    return re.sub(r"\bsk-[\w*.-]+", "sk-***", message)


def _content(payload: object, streamed: bool) -> str:
    """The text in one SSE chunk (delta) or in a whole non-streamed completion (message)."""
    if not isinstance(payload, dict):
        raise LLMError(f"unexpected payload: {str(payload)[:200]}")
    if payload.get("error"):
        raise LLMError(f"server error: {str(payload['error'])[:200]}")
    try:
        choices = payload.get("choices") or []
        if not choices:
            return ""  # e.g. a final usage-only chunk
        part = choices[0].get("delta" if streamed else "message") or {}
        content = part.get("content") or ""
    except (KeyError, TypeError, AttributeError) as exc:  # JSON of an unexpected shape
        raise LLMError(f"unexpected payload: {str(payload)[:200]}", reason=type(exc).__name__) from exc
    if not isinstance(content, str):
        raise LLMError(f"unexpected content: {str(content)[:200]}", reason="TypeError")
    return content


async def stream_completion(client: httpx.AsyncClient, url: str, body: dict, headers: dict[str, str],
                            key: str) -> AsyncGenerator[str, None]:
    """Yield text pieces as they arrive. Servers that ignore "stream" and send one JSON body also work."""
    async with client.stream("POST", url, json=body, headers=headers) as resp:
        if resp.status_code >= 400:
            detail = (await resp.aread()).decode("utf-8", "replace")[:300]
            raise LLMError(f"HTTP {resp.status_code} from {url}: {_redact(detail, key)}")
        if "text/event-stream" not in resp.headers.get("content-type", ""):
            yield _content(json.loads(await resp.aread()), streamed=False)
            return
        async for line in resp.aiter_lines():
            line = line.strip()
            if not line.startswith("data:"):
                continue  # blank separators, ": keep-alive" comments, "event:" lines
            data = line[len("data:"):].strip()
            if data == "[DONE]":
                return
            yield _content(json.loads(data), streamed=True)


class Unavailable(Exception):
    """No usable completion (timeout, HTTP or connection error, bad JSON); `reason` is short and safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def complete(messages: list[dict[str, str]], settings: RetrievalSettings,
                   on_text: OnDelta | None = None, min_interval: float = 1.0) -> str:
    """The model's whole reply to `messages`, streamed; `on_text(text_so_far)` sees it grow (throttled).

    Raises Unavailable on any failure; logs the cause, never the key."""
    key = settings.llm_api_key.get_secret_value()
    headers = {"Accept": "text/event-stream"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    url = settings.llm_base_url.rstrip("/") + "/chat/completions"
    body = {"model": settings.llm_model, "messages": messages, "stream": True, "temperature": TEMPERATURE}
    throttle = Throttle(on_text, min_interval)
    text = ""
    try:
        # httpx's timeouts bound each connect/read; the outer deadline bounds the whole answer,
        # since a server that drips tokens never trips a read timeout. aclosing: if the deadline
        # fires while on_text runs, the response is closed right away, not whenever GC gets to it.
        async with (
            asyncio.timeout(settings.llm_timeout),
            httpx.AsyncClient(timeout=httpx.Timeout(settings.llm_timeout)) as client,
            aclosing(stream_completion(client, url, body, headers, key)) as pieces,
        ):
            async for piece in pieces:
                text += piece
                await throttle.update(text)
        await throttle.flush(text)
    except (TimeoutError, httpx.HTTPError, LLMError, json.JSONDecodeError) as exc:
        timed_out = isinstance(exc, TimeoutError | httpx.TimeoutException)
        detail = _redact(str(exc), key) or (f"no answer within {settings.llm_timeout:g} s" if timed_out else "")
        logger.warning("language model request failed (%s: %s)", type(exc).__name__, detail)
        reason = exc.reason if isinstance(exc, LLMError) else type(exc).__name__
        raise Unavailable("timed out" if timed_out else reason) from None
    # Reasoning models (DeepSeek-R1, Qwen3 on Ollama) put their scratchpad in <think>…</think>: not the answer.
    return _THINK.sub("", text)


async def generative_answer(question: str, result: SearchResult, fallback: Answer, settings: RetrievalSettings,
                            on_delta: OnDelta | None = None, min_interval: float = 1.0) -> Answer:
    """Ask the model to answer from `result.hits`; return its checked, cited answer, or `fallback`.

    `on_delta(text_so_far)` sees the raw text while it streams (at most once per `min_interval`
    seconds, the last piece always); the returned Answer holds the validated text."""
    prompt = build_prompt(question, result.hits, settings.llm_max_context_posts, settings.tz)
    try:
        text = await complete(prompt.messages, settings, on_delta, min_interval)
    except Unavailable as exc:
        logger.warning("using the extractive answer")
        return _fallback(fallback, ANSWER_UNAVAILABLE.format(reason=exc.reason))

    checked = check_citations(text, len(prompt.sources))
    if not checked.cited:
        logger.warning("generated answer cited no valid source; using the extractive answer")
        return _fallback(fallback, NO_CITATIONS)
    return Answer(
        question=fallback.question, filters=result.filters, found=True,
        sentences=[AnswerSentence(s, n) for s, n in cited_sentences(checked.text)],
        citations=[prompt.sources[n - 1] for n in checked.cited],
        text=checked.text, notice=fallback.notice, backend="openai",
    )


def _fallback(answer: Answer, notice: str) -> Answer:
    # Keep any notice the search already had (e.g. "no posts in that week"), after ours.
    return replace(answer, notice=f"{notice} {answer.notice}".strip(), backend="extractive")
