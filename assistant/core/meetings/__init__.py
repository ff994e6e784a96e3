"""Meetings: from a transcript to structured notes (summary, decisions, action items, follow-up events).

``transcript`` reads .txt/.md/.vtt/.srt files into :class:`Segment` s and cuts text into chunks
(one segment type and one timestamp format, hh:mm:ss, for imported and recorded transcripts);
``notes`` the notes' schema, validation, merging and Markdown; ``language`` which language a
transcript is in; ``prompts`` what the model is told (:class:`MeetingContext`, :func:`fence`);
``summarizer`` one-shot map-reduce notes (:class:`Summarizer`); ``rolling`` notes kept current
while a meeting goes on (:class:`RollingSummarizer`); ``live`` the live session that feeds it;
``templates`` meeting templates (instructions, sections); ``ask`` questions answered from one
meeting (BM25 over its passages); ``linking`` the calendar event a recording belongs to;
``renaming`` a speaker renamed in a meeting's transcript and notes.
Names are imported when first used.
"""

from assistant.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "transcript": [
            "Segment",
            "Transcript",
            "TranscriptError",
            "chunk_text",
            "clock",
            "format_timestamp",
            "load_transcript",
            "parse_transcript",
        ],
        "notes": ["MeetingNotes", "NotesValidationError", "merge_notes", "notes_to_markdown"],
        "language": ["LANGUAGE_NAMES", "SPEECH_LANGUAGES", "detect_language", "notes_language"],
        "prompts": ["FENCE_BEGIN", "FENCE_END", "MeetingContext", "fence"],
        "summarizer": ["Budget", "SummarizeError", "Summarizer", "SummaryProgress", "SummaryResult"],
        "rolling": ["LIVE_MAX_LOAD", "RollingSummarizer", "estimate_tokens", "split_for_live"],
        "live": ["LiveFeed", "live_notes_of", "run_live_session"],
        "templates": ["MeetingTemplate", "TemplateError", "get_template", "list_templates", "shown_notes"],
        "ask": ["Answer", "ask", "build_prompt", "citations"],
        "linking": ["LinkedEvent", "event_during", "find_linked_event"],
    },
)
