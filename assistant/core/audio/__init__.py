"""Audio: recording a meeting and turning speech into text.

``capture`` microphones and audio sources (:class:`MicrophoneSource`, :func:`list_input_devices`);
``wav`` the crash-safe WAV writer and its repair; ``recorder`` a recording in progress
(:class:`Recorder`: audio to disk, live transcript beside it); ``recordings`` the recordings
folder and recovery after a crash (no numpy: start-up reads it); ``stt`` speech to text with
faster-whisper (:class:`SpeechRecognizer`); ``vad`` the voice-activity detector;
``live_stt`` live transcription while recording (:class:`LiveTranscriber`); ``system_sound``
this computer's sound (the other side of a call); ``sources`` the microphone, the computer's
sound or both, each to its own file (:class:`MultiRecorder`); ``speakers`` "You" and "Others"
and dropping the microphone's echo of the call.
Segments are :class:`assistant.core.meetings.transcript.Segment`. Names are imported when first used.
"""

from assistant.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "capture": ["ArraySource", "AudioSource", "CaptureError", "MicrophoneSource", "list_input_devices"],
        "wav": ["CrashSafeWavWriter", "WavError", "read_wav"],
        "recorder": ["Recorder", "RecordingResult"],
        "recordings": ["InterruptedRecording", "Recording", "find_interrupted_recordings", "recover_recording"],
        "stt": ["SpeechRecognizer", "TranscribeError", "TranscriptionResult", "transcribe_file"],
        "vad": ["EnergyVad"],
        "live_stt": ["LiveStatus", "LiveTranscriber"],
        "system_sound": ["MonitorSource", "find_system_device", "open_system_source"],
        "sources": ["MultiRecorder", "SOURCE_CHOICES", "open_sources"],
        "speakers": ["LiveSpeakers", "LiveTranscripts", "combine", "is_echo", "rename_speaker"],
    },
)
