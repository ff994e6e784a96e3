"""The chat's Qt side: the controller that drives the model worker, the calendar jobs and the view
from a :class:`~assistant.core.chat.session.ChatSession`, the engines it talks to, and per-request signals."""
