"""Refresh resources/catalog.json from the Hugging Face Hub API (sizes and SHA-256 per revision).

For every model in the catalog (or only ``--model ID``), this asks the hub for the
LFS metadata of each build's file at the pinned revision, or at a new one, and
writes the exact ``size`` and ``sha256`` back:

    POST {endpoint}/api/models/{repo}/paths-info/{revision}   (HfApi.get_paths_info)
         -> [{"path": ..., "size": ..., "lfs": {"oid": <sha256>, "size": ...}}]
    GET  {endpoint}/api/models/{repo}/revision/main           (HfApi.model_info, for --latest)
         -> {"sha": <commit>}

Usage (needs network access to the hub; HF_ENDPOINT selects a mirror):

    python packaging/refresh_catalog.py                      # re-read hashes at the pinned revisions
    python packaging/refresh_catalog.py --latest             # move every model to its newest commit
    python packaging/refresh_catalog.py --model llama-3.2-3b-instruct --revision <40-hex commit>
    python packaging/refresh_catalog.py --check              # exit 1 if anything differs, write nothing

Speech models (faster-whisper folders) are refreshed the same way, file by file.
Review the diff before committing: a changed sha256 at the same revision means the
repository history was rewritten, which deserves a look.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

DEFAULT_CATALOG = Path(__file__).resolve().parent.parent / "resources" / "catalog.json"


def _api(endpoint: str | None):
    from huggingface_hub import HfApi

    return HfApi(endpoint=endpoint or os.environ.get("HF_ENDPOINT") or None)


def file_facts(api, repo: str, revision: str, paths: list[str]) -> dict[str, tuple[int, str | None]]:
    """path -> (size, sha256 or None for non-LFS files) at ``revision``."""
    facts: dict[str, tuple[int, str | None]] = {}
    for entry in api.get_paths_info(repo, paths, revision=revision):
        lfs = getattr(entry, "lfs", None)
        facts[entry.path] = (int(entry.size), lfs.sha256 if lfs else None)
    return facts


def refresh(catalog: dict, api, *, model_id: str | None = None, revision: str | None = None, latest: bool = False) -> list[str]:
    """Update ``catalog`` in place; return a list of human-readable changes."""
    changes: list[str] = []
    for model in catalog["models"]:
        if model_id and model["id"] != model_id:
            continue
        source = model["source"]
        new_revision = revision or (api.model_info(source["repo"], revision="main").sha if latest else source["revision"])
        if new_revision != source["revision"]:
            changes.append(f"{model['id']}: revision {source['revision']} -> {new_revision}")
            source["revision"] = new_revision
        facts = file_facts(api, source["repo"], new_revision, [b["file"] for b in model["builds"]])
        for build in model["builds"]:
            if build["file"] not in facts:
                changes.append(f"{model['id']}: {build['file']} is missing at {new_revision[:12]}")
                continue
            size, sha = facts[build["file"]]
            if (build.get("size"), build.get("sha256")) != (size, sha):
                changes.append(f"{build['file']}: size {build.get('size')} -> {size}, sha256 {build.get('sha256')} -> {sha}")
                build["size"], build["sha256"] = size, sha
    for speech in catalog.get("speech", []):
        if model_id and speech["id"] != model_id:
            continue
        rev = speech.get("revision") or api.model_info(speech["repo"], revision="main").sha
        if rev != speech.get("revision"):
            changes.append(f"{speech['id']}: revision {speech.get('revision')} -> {rev}")
            speech["revision"] = rev
        facts = file_facts(api, speech["repo"], rev, [f["path"] for f in speech["files"]])
        for item in speech["files"]:
            if item["path"] in facts:
                size, sha = facts[item["path"]]
                if item.get("size") != size:
                    changes.append(f"{speech['id']}/{item['path']}: size {item.get('size')} -> {size}")
                    item["size"] = size
                if sha is not None and item.get("sha256") != sha:  # None: kept in git; checked by its git id
                    changes.append(f"{speech['id']}/{item['path']}: sha256 {item.get('sha256')} -> {sha}")
                    item["sha256"] = sha
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    parser.add_argument("--model", help="only this model id")
    parser.add_argument("--revision", help="pin this 40-character commit (with --model)")
    parser.add_argument("--latest", action="store_true", help="move to the newest commit on main")
    parser.add_argument("--endpoint", help="hub endpoint (default: HF_ENDPOINT or huggingface.co)")
    parser.add_argument("--check", action="store_true", help="report differences, write nothing, exit 1 if any")
    args = parser.parse_args(argv)
    if args.revision and not args.model:
        parser.error("--revision needs --model")
    catalog = json.loads(args.catalog.read_text())
    changes = refresh(catalog, _api(args.endpoint), model_id=args.model, revision=args.revision, latest=args.latest)
    for change in changes:
        print(change)
    if args.check:
        return 1 if changes else 0
    if changes:
        args.catalog.write_text(json.dumps(catalog, indent=2) + "\n")
        print(f"wrote {args.catalog}")
    else:
        print("catalog is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
