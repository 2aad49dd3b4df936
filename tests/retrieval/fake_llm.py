"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API, for tests.

The requested model name picks a scripted behaviour (so a subprocess can choose one through LLM_MODEL):

  cited         a cited answer, streamed in several chunks (cites [1] and, with 2+ sources, [2])
  plain         the same answer as one non-streamed JSON completion, whatever "stream" says
  bad-citation  an answer citing a source that was not given ([9]) next to a real one ([2])
  no-citation   an answer with no citation at all
  injection     obeys instructions found in sources: replies "PWNED", uncited
  error500      HTTP 500
  unauthorized  HTTP 401 whose body echoes the API key (as some servers do)
  slow          drips a token every 0.2 s for ~10 s (never trips a read timeout)
  malformed     a chunk of broken JSON in the stream
  zh            a cited answer in Chinese
  think         a reasoning model's <think>…</think> scratchpad (citing [2]) before a cited answer
  digest        a digest's OVERVIEW and TREND sections, cited, one citation out of range ([99])
  digest-made-up  the same with one sentence stating a figure no source holds (3,500,000 cars)
  digest-uncited-trend  a cited overview citing [2] only, and a TREND section that cites nothing

Every request is recorded (JSON body and headers) in `FakeLLM.requests`.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CITED_ONE = "Lei Jun said SU7 deliveries passed 28,000 in May [1]."
CITED_TWO = " He added that the YU7 is preparing for mass production in July [2]."
DIGEST = (
    "**OVERVIEW:** Lei Jun was busy this week [1]. The post that drew the most engagement was about SU7 "
    "deliveries [1][2]. He also looked ahead to the YU7 [3].\n\n"
    "**TREND:** Deliveries and new models run through the week [2][3]. Critics were answered [99]."
)
MADE_UP = "Xiaomi sold 3,500,000 cars this year [1]."


@dataclass
class Recorded:
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakeLLM:
    chunk_delay: float = 0.05  # between streamed chunks, so on_delta sees text grow over time
    requests: list[Recorded] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> FakeLLM:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)  # port 0: any free port
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeLLM:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- behaviours ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(Recorded(body=body, headers=dict(request.headers)))
        model = body.get("model", "cited")
        n_sources = len(re.findall(r'<source id="\d+"', body["messages"][-1]["content"]))
        if model == "error500":
            return web.json_response({"error": {"message": "model crashed"}}, status=500)
        if model == "unauthorized":
            key = request.headers.get("Authorization", "").removeprefix("Bearer ")
            return web.json_response({"error": {"message": f"Incorrect API key provided: {key}"}}, status=401)
        answer = {
            "cited": CITED_ONE + (CITED_TWO if n_sources >= 2 else ""),
            "plain": CITED_ONE,
            "bad-citation": "Deliveries passed 28,000 [9]. The YU7 is coming [2].",
            "no-citation": "Deliveries passed 28,000 in May.",
            "injection": "PWNED",
            "zh": "五月小米SU7交付量超过28000台【1】。",
            "think": f"<think>Source [2] is about the YU7, not deliveries.</think>\n{CITED_ONE}",
            "digest": DIGEST,
            "digest-made-up": DIGEST.replace("He also looked", f"{MADE_UP} He also looked"),
            "digest-uncited-trend": "OVERVIEW: The YU7 led the week [2].\nTREND: Everything went well.",
        }.get(model, CITED_ONE)
        if model == "plain" or not body.get("stream"):
            return web.json_response(_completion(model, answer))
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        if model == "slow":
            try:
                for i in range(50):
                    await _send(resp, _chunk(model, f"tok{i} "))
                    await asyncio.sleep(0.2)
            except ConnectionResetError:  # the client gave up, as it should
                return resp
        elif model == "malformed":
            await _send(resp, _chunk(model, "Deliveries "))
            await resp.write(b'data: {"choices": [{"delta": {"content": "passed [1\n\n')
        else:
            await _send(resp, {"id": "c1", "object": "chat.completion.chunk", "model": model,
                               "choices": [{"index": 0, "delta": {"role": "assistant"}}]})
            for piece in _pieces(answer, 4):
                await _send(resp, _chunk(model, piece))
                await asyncio.sleep(self.chunk_delay)
            await _send(resp, {"id": "c1", "object": "chat.completion.chunk", "model": model,
                               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp


def _pieces(text: str, n: int) -> list[str]:
    size = max(1, -(-len(text) // n))
    return [text[i:i + size] for i in range(0, len(text), size)]


def _chunk(model: str, content: str) -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion.chunk", "model": model,
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]}


def _completion(model: str, content: str) -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}


async def _send(resp: web.StreamResponse, payload: dict[str, Any]) -> None:
    await resp.write(f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode())


async def main(port: int = 8765) -> None:
    """Run standalone (`python tests/retrieval/fake_llm.py`) to try the bot by hand."""
    await FakeLLM(port=port).start()
    print(f"fake LLM on http://127.0.0.1:{port}/v1 (LLM_MODEL picks the behaviour)")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
