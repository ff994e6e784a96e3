"""Chat: a conversation turned into a prompt, and the calendar tools the model may call.

``prompt`` fits the conversation into the context window (:func:`plan_prompt`); ``tools`` the
tools' schemas and their one set of names (:data:`TOOLS`, :data:`TOOL_NAMES`); ``parse`` reads
tool calls out of a reply (:func:`parse_model_output`); ``run`` checks and runs one call
(:func:`run_tool_call`: reads run, ``create_*`` only propose a draft); ``turn`` the one tool loop
(:class:`ToolTurn`, driven by the window, and :func:`chat_with_tools`, its synchronous driver);
``display`` how calls and results read in the chat. Names are imported when first used.
"""

from assistant.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "prompt": ["DEFAULT_SYSTEM_PROMPT", "PromptPlan", "plan_prompt"],
        "tools": ["CREATE_CALENDAR_EVENT", "CREATE_TASK", "READ_ONLY_TOOLS", "TOOLS", "TOOL_NAMES", "TOOLS_BY_NAME"],
        "parse": ["ParsedOutput", "ToolCall", "parse_model_output", "parse_tool_calls"],
        "run": [
            "ToolOutcome",
            "assistant_tool_call_message",
            "confirmation_result",
            "run_tool_call",
            "tool_result_message",
            "validate_arguments",
        ],
        "turn": [
            "MAX_TOOL_ROUNDS",
            "ReplyStep",
            "ToolResult",
            "ToolTurn",
            "TurnResult",
            "build_system_prompt",
            "chat_with_tools",
            "decide_proposal",
        ],
        "display": ["describe_tool_calls", "describe_tool_result", "tools_system_prompt"],
    },
)
