"""Bot extensions: one feature per folder (posts, admin, schedule, follows, errors)."""

EXTENSIONS = (
    "bot.exts.errors",
    "bot.exts.posts",
    "bot.exts.admin",
    "bot.exts.schedule",
    "bot.exts.follows",
)
