"""Middleware for broken apps whose mistake a client sees only as a status code."""


class StatusRewrite:
    """Answers `new` wherever the app answered `old`, body unchanged."""

    def __init__(self, app, old: int, new: int) -> None:
        self.app, self.old, self.new = app, old, new

    async def __call__(self, scope, receive, send):
        async def sending(message):
            if message["type"] == "http.response.start" and message["status"] == self.old:
                message = {**message, "status": self.new}
            await send(message)

        await self.app(scope, receive, sending)
