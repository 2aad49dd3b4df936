"""Bot extensions: one feature per folder (posts, admin, schedule, errors)."""

EXTENSIONS = (
    "bot.exts.errors",
    "bot.exts.posts",
    "bot.exts.admin",
    "bot.exts.schedule",
)
