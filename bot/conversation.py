"""Follow-up questions: a reply to an answer, or a message in the answer's thread, continues it.

A follow-up keeps the previous question's executive and period unless it names new ones ("and what
about deliveries?" is still about Lei Jun last week; "he" and "他" need nothing more). The memory is
bounded three ways: a few turns per chain, a time limit, and a number of chains kept.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_TURNS = 5  # a chain longer than this starts afresh
TTL_SECONDS = 30 * 60
MAX_CHAINS = 2000


@dataclass(frozen=True)
class Turn:
    question: str
    executive: str | None
    since: datetime | None
    until: datetime | None
    depth: int = 1  # 1 = a fresh question
    at: float = 0.0


@dataclass(frozen=True)
class Scope:
    """What to pass to Engine.ask for a question, given the conversation so far."""

    author: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    follow_up: bool = False


class Conversations:
    """key (the answer's message id, its thread's id, or the console) -> the last turn."""

    def __init__(self, max_turns: int = MAX_TURNS, ttl: float = TTL_SECONDS, max_chains: int = MAX_CHAINS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_turns, self.ttl, self.max_chains, self.clock = max_turns, ttl, max_chains, clock
        self._turns: OrderedDict[Hashable, Turn] = OrderedDict()

    def get(self, key: Hashable | None) -> Turn | None:
        if key is None:
            return None
        turn = self._turns.get(key)
        if turn is None:
            return None
        if self.clock() - turn.at > self.ttl or turn.depth >= self.max_turns:
            del self._turns[key]
            return None
        return turn

    def put(self, key: Hashable, turn: Turn) -> None:
        self._turns[key] = turn
        self._turns.move_to_end(key)
        while len(self._turns) > self.max_chains:
            self._turns.popitem(last=False)

    def __contains__(self, key: Hashable) -> bool:
        return self.get(key) is not None


async def scope_for(engine: Any, question: str, previous: Turn | None,
                    clock: Callable[[], float] = time.monotonic) -> tuple[Scope, Turn]:
    """The filters for `question` and the turn to remember for what follows it."""
    pq = await engine.parse(question)
    period = pq.period
    if previous is None:
        since, until = (period.start, period.end) if period else (None, None)
        return Scope(), Turn(question, pq.executive, since, until, 1, clock())
    executive = pq.executive or previous.executive
    since, until = (period.start, period.end) if period else (previous.since, previous.until)
    scope = Scope(author=executive, since=None if period else since, until=None if period else until,
                  follow_up=True)
    return scope, Turn(question, executive, since, until, previous.depth + 1, clock())
