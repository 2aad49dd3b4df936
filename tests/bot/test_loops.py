import asyncio
import logging

from bot.loops import background


class FakeBot:
    def __init__(self) -> None:
        self.ready = asyncio.Event()

    async def wait_until_ready(self) -> None:
        await self.ready.wait()


class Cog:
    def __init__(self, fail_first: int) -> None:
        self.bot = FakeBot()
        self.calls = 0
        self.fail_first = fail_first
        self.ran = asyncio.Event()

    @background("test job", seconds=0.01)
    async def job(self) -> None:
        self.calls += 1
        if self.calls <= self.fail_first:
            raise RuntimeError(f"boom {self.calls}")
        self.ran.set()


async def test_a_failing_tick_is_logged_and_the_loop_goes_on(caplog):
    cog = Cog(fail_first=2)
    cog.bot.ready.set()
    with caplog.at_level(logging.ERROR, logger="bot.loops"):
        cog.job.start()
        try:
            await asyncio.wait_for(cog.ran.wait(), 5)
        finally:
            cog.job.cancel()
    assert cog.calls >= 3
    failures = [r for r in caplog.records if "test job failed" in r.getMessage()]
    assert len(failures) == 2
    assert "boom 1" in str(failures[0].exc_info[1])


async def test_the_first_tick_waits_until_the_bot_is_ready():
    cog = Cog(fail_first=0)
    cog.job.start()
    try:
        await asyncio.sleep(0.1)
        assert cog.calls == 0  # not connected yet
        cog.bot.ready.set()
        await asyncio.wait_for(cog.ran.wait(), 5)
    finally:
        cog.job.cancel()
    assert cog.calls >= 1


async def test_each_cog_has_its_own_loop():
    a, b = Cog(fail_first=0), Cog(fail_first=0)
    assert a.job is not b.job
    a.bot.ready.set()
    a.job.start()
    try:
        await asyncio.wait_for(a.ran.wait(), 5)
    finally:
        a.job.cancel()
    assert b.calls == 0 and not b.job.is_running()
