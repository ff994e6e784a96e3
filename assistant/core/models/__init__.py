"""Models: which model fits this computer, where to get it, and how fast it runs here.

``hardware`` probes the machine (:func:`probe`, :class:`HardwareProfile`, :func:`physical_cores`);
``catalog`` the builds Llama Desk knows (:func:`load_catalog`); ``selector`` picks the build
that fits (:func:`select_build`, :func:`fit_table`); ``download`` fetches and verifies it;
``machine_check`` measures memory bandwidth and matrix speed here, ``speed`` predicts tokens/s from it;
``folders`` other apps' model folders searched for a copy; ``benchmark`` measures a loaded
model; ``speech_choice`` picks the speech-to-text model for this computer.
Names are imported when first used.
"""

from assistant.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "hardware": ["HardwareProfile", "ProfileError", "describe", "physical_cores", "probe"],
        "catalog": ["Build", "Catalog", "CatalogError", "SpeechModel", "load_catalog"],
        "selector": ["Choice", "Estimate", "Preferences", "fit_table", "gb", "select_build"],
        "machine_check": ["MachineCheck", "cached_or_measure", "record_speed"],
        "benchmark": ["BenchmarkResult", "benchmark_task", "run_benchmark"],
        "speech_choice": ["SpeechChoice", "choose_speech_model"],
        "download": ["DownloadCancelled", "DownloadError", "Progress", "download_build", "download_speech_model"],
    },
)
