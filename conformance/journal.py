"""What a run must undo, kept on disk while the run lasts, so that the next run finishes a run that was killed.

A run registers identities (their party ids stay taken until they unregister) and creates objects it retires at the
end. A run killed half-way (SIGKILL, a lost machine) leaves both behind, and the next run would then meet them: a
refused registration ("party already registered"), listed objects of a dead peer. The journal records, as the run
goes, each identity's current token C and every clean-up request still owed; the next run with the same target file
sends those requests first (retire, then unregister) and removes the journal, so it starts from the state a
finished run leaves.

The journal holds live credentials tokens: it is written 0600 beside the target file
(``.<target file name>.ocpi-state.json``, ignored by git), and deleted when the run ends normally.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from conformance.client import OcpiClient, Recorder
from conformance.objects import now

__all__ = ("Journal", "Undo", "journal_path")


@dataclass(frozen=True)
class Undo:
    """One clean-up request, complete enough to be sent by a later process: method, URL, body, routing headers."""

    what: str
    method: str
    url: str
    body: Any = None
    params: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    label: str = ""
    stamp: bool = False
    """Set the body's ``last_updated`` to the time the request is sent (a PATCH must be newer than what it changes)."""

    def payload(self) -> Any:
        if self.stamp and isinstance(self.body, dict):
            return {**self.body, "last_updated": now()}
        return self.body


def journal_path(target_file: Path | None) -> Path | None:
    """Where the journal of runs with ``target_file`` lives (None: no file, nothing is journalled)."""
    if target_file is None:
        return None
    return target_file.parent / f".{target_file.name}.ocpi-state.json"


class Journal:
    """The on-disk record of what the current run still owes the target (see the module docstring)."""

    def __init__(self, path: Path, versions_url: str) -> None:
        self.path = path
        self.versions_url = versions_url
        self._lock = threading.Lock()
        self._identities: dict[str, dict[str, Any]] = {}
        self.problem: str | None = None
        """Why the journal could not be written (the run goes on; only a killed run's leftovers are at stake)."""

    # -- recording ---------------------------------------------------------------------------------
    def registered(self, key: str, token: str, credentials_url: str, *, unregister: bool) -> None:
        """``key`` now holds ``token`` (a registration or a rotation); ``unregister``: the run will unregister it."""
        with self._lock:
            entry = self._identities.setdefault(key, {"undo": []})
            entry.update(token=token, credentials_url=credentials_url, unregister=unregister)
        self._save()

    def owe(self, key: str, undo: Undo) -> None:
        with self._lock:
            self._identities.setdefault(key, {"undo": [], "token": None})["undo"].append(asdict(undo))
        self._save()

    def paid(self, key: str, what: str) -> None:
        """The clean-up ``what`` was done (or is no longer owed)."""
        with self._lock:
            entry = self._identities.get(key)
            if entry is not None:
                entry["undo"] = [u for u in entry["undo"] if u["what"] != what]
        self._save()

    def gone(self, key: str) -> None:
        """``key`` unregistered: its token is dead, nothing more can be sent as it."""
        with self._lock:
            self._identities.pop(key, None)
        self._save()

    def close(self) -> None:
        """The run ended normally: nothing is owed any more."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _save(self) -> None:
        with self._lock:
            doc = {"versions_url": self.versions_url, "identities": self._identities}
            try:
                tmp = self.path.with_name(self.path.name + ".tmp")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(doc, fh)
                tmp.replace(self.path)
            except OSError as exc:
                self.problem = f"the run's state could not be written to {self.path}: {exc}"

    # -- finishing an interrupted run -------------------------------------------------------------------
    def recover(self, timeout: float) -> list[str]:
        """Finish what a killed run against the same target left in the journal: its clean-ups, newest first, then
        its unregistrations. Returns observations for the report (the requests are not part of any scenario)."""
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            return [f"the state file of an earlier run ({self.path}) could not be read ({exc}); ignored"]
        if doc.get("versions_url") != self.versions_url:
            return [
                f"the state file of an earlier run ({self.path}) is about another target ({doc.get('versions_url')}); "
                "it is replaced, and what that run left there stays"
            ]
        notes: list[str] = []
        client = OcpiClient(Recorder(), timeout=timeout)
        try:
            for key, entry in (doc.get("identities") or {}).items():
                token = entry.get("token")
                if not token:
                    continue
                done, refused = 0, 0
                for raw in reversed(entry.get("undo") or []):
                    undo = Undo(**raw)
                    ex = client.request(
                        undo.method,
                        undo.url,
                        token=token,
                        json_body=undo.payload(),
                        params=undo.params,
                        headers=undo.headers,
                        label=f"recovery: {undo.label}",
                    )
                    if ex.status is not None and 200 <= ex.status < 300:
                        done += 1
                    else:
                        refused += 1
                text = f"as {key}: {done} object(s) retired" + (f", {refused} refused" if refused else "")
                if entry.get("unregister") and entry.get("credentials_url"):
                    ex = client.request("DELETE", entry["credentials_url"], token=token, label="recovery: unregister")
                    ok = ex.status is not None and 200 <= ex.status < 300
                    text += ", unregistered" if ok else f", unregistration answered HTTP {ex.status or ex.error}"
                notes.append(text)
        finally:
            client.close()
        self.close()
        if notes:
            notes = ["an earlier run against this target was interrupted; finished first: " + "; ".join(notes)]
        return notes
