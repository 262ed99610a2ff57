"""Errors the TaskFlow domain raises."""


class InsufficientCredits(ValueError):
    """An agent does not have enough credits for a transfer or a charge."""

    def __init__(self, agent_id: int, needed: int, available: int) -> None:
        super().__init__(f"agent {agent_id} needs {needed} credits but has {available}")
        self.agent_id = agent_id
        self.needed = needed
        self.available = available
