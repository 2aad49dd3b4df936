"""Sending a `Reply` to Discord: the first page with Prev/Next buttons when there are more, the
attachment, long text split at 2,000 characters; never a ping."""

from __future__ import annotations

import io

import discord
from discord.ext import commands

from bot.limits import MESSAGE, split_message
from bot.render import NONE, Reply


class PageView(discord.ui.View):
    """Prev/Next buttons over embeds; only the invoker can turn pages; disabled on timeout."""

    def __init__(self, pages: list[discord.Embed], owner_id: int, timeout: float = 180.0) -> None:
        super().__init__(timeout=timeout)
        self.pages, self.owner_id, self.index = pages, owner_id, 0
        self.message: discord.Message | None = None
        self._sync()

    def _sync(self) -> None:
        self.prev_page.disabled = self.index <= 0
        self.next_page.disabled = self.index >= len(self.pages) - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message("Only the person who asked can turn these pages.",
                                                    ephemeral=True, allowed_mentions=NONE)
            return False
        return True

    async def _show(self, interaction: discord.Interaction, step: int) -> None:
        self.index = max(0, min(len(self.pages) - 1, self.index + step))
        self._sync()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    @discord.ui.button(label="◀ Prev", style=discord.ButtonStyle.secondary)
    async def prev_page(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        await self._show(interaction, -1)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary)
    async def next_page(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        await self._show(interaction, +1)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException:
                pass  # deleted, or no longer editable: nothing to disable


async def send_reply(ctx: commands.Context, reply: Reply, reference: discord.Message | None = None) -> discord.Message:
    """Send a Reply: first page (with buttons when there are more), the attachment, long text split
    at 2,000 characters. Never pings anyone: echoed post text may hold "@everyone"."""
    chunks = split_message(reply.content, MESSAGE) if reply.content else []
    kwargs: dict = {"allowed_mentions": NONE}
    if ctx.interaction is not None:
        kwargs["ephemeral"] = reply.ephemeral
    if reference is not None:
        kwargs["reference"] = reference
        kwargs["mention_author"] = False
    view = None
    if reply.pages:
        kwargs["embed"] = reply.pages[0]
        if len(reply.pages) > 1:
            view = kwargs["view"] = PageView(reply.pages, ctx.author.id)
        elif reply.view is not None:
            kwargs["view"] = reply.view
    if reply.file:
        kwargs["file"] = discord.File(io.BytesIO(reply.file[1]), filename=reply.file[0])
    first = chunks[0] if chunks else None
    msg = await ctx.send(first, **kwargs)
    if view is not None:
        view.message = msg
    for extra in chunks[1:]:
        await ctx.send(extra, allowed_mentions=NONE, ephemeral=reply.ephemeral and ctx.interaction is not None)
    return msg
