"""Engines: the one seam (:class:`Engine`) through which every job runs a model.

``base`` the seam, :class:`GenerationParams`, :class:`GenerationStats`, :class:`LoadInfo` and the
errors; ``llama`` a local GGUF file through llama-cpp-python (:class:`LlamaCppEngine`);
``remote`` an OpenAI-compatible server (:class:`RemoteEngine`); ``fake`` scripted replies for
tests (:class:`FakeEngine`); ``gguf`` the GGUF header reader (:func:`check_model_file`);
``choice`` the command line's one way to build an engine (:func:`engine_from_args`).
Names are imported when first used, so ``import assistant.core.engines`` stays cheap.
"""

from assistant.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "base": [
            "ContextOverflowError",
            "Engine",
            "EngineError",
            "GenerationParams",
            "GenerationStats",
            "LoadInfo",
            "Message",
            "ModelFileError",
            "ProgressCallback",
            "common_prefix_length",
        ],
        "llama": ["LlamaCppEngine"],
        "remote": ["RemoteEngine", "RemoteEngineError"],
        "fake": ["FakeEngine"],
        "gguf": ["GGUFSummary", "check_model_file"],
        "choice": ["add_engine_arguments", "engine_from_args"],
    },
)
