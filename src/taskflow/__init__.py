"""TaskFlow: the data layer of an AI agent's task tracker, the running example of the course."""
