"""The outbox: what a sync pass pushes and what the hub acknowledged, and the county's
decisions that come back.

A queued application is retried with ``push_attempts`` and ``next_attempt_at`` stored here, so
a back-off survives a restart; acknowledgements only ever move a record forward
(queued -> uploaded, amendment and blob upload marks set once).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from offline.db import iso_utc
from offline.records import Application, RecordsMixin


class OutboxMixin(RecordsMixin):
    """Sync bookkeeping over the records: due pushes, acknowledgements, decisions."""

    def pending_push(self, *, limit: int = 100, now: datetime | None = None) -> list[Application]:
        """Queued applications due for a push attempt, in filing order."""
        due = iso_utc(now or self.clock())
        rows = self._query(
            "SELECT * FROM applications WHERE state = 'queued' "
            # julianday compares instants whatever offset a row was written with
            "AND (next_attempt_at IS NULL OR julianday(next_attempt_at) <= julianday(?)) "
            "ORDER BY rowid LIMIT ?",
            [due, limit],
        )
        return [self._row_to_app(r) for r in rows]

    def pending_count(self) -> int:
        rows = self._query("SELECT count(*) AS n FROM applications WHERE state = 'queued'")
        return int(rows[0]["n"])

    def backlog(self, exclude: Sequence[str] = ()) -> tuple[int, str | None]:
        """(how many, oldest finalized time) of the queued applications not in ``exclude``
        (a batch about to be pushed): what the station reports it still has to send."""
        marks = ",".join("?" * len(exclude))
        skip = f"AND uuid NOT IN ({marks}) " if exclude else ""
        rows = self._query(
            "SELECT count(*) AS n, strftime('%Y-%m-%dT%H:%M:%fZ', "
            "min(julianday(coalesce(finalized_at, created_at)))) AS oldest "
            f"FROM applications WHERE state = 'queued' {skip}",
            list(exclude),
        )
        n, oldest = int(rows[0]["n"]), rows[0]["oldest"]
        return n, (str(oldest) if n and oldest else None)

    def mark_uploaded(self, uuids: Sequence[str]) -> None:
        """The hub acknowledged these (stored or duplicate): never send them again."""
        now = self.now()
        with self.write() as db:
            for u in uuids:
                db.execute(
                    "UPDATE applications SET state = 'uploaded', uploaded_at = ?, "
                    "last_error = NULL, next_attempt_at = NULL WHERE uuid = ? AND state = 'queued'",
                    [now, u],
                )

    def mark_push_failed(self, uuid: str, error: str, next_attempt_at: datetime) -> None:
        with self.write() as db:
            db.execute(
                "UPDATE applications SET push_attempts = push_attempts + 1, last_error = ?, "
                "next_attempt_at = ? WHERE uuid = ? AND state = 'queued'",
                [
                    self.sealer.seal("applications", "last_error", uuid, error),
                    iso_utc(next_attempt_at),
                    uuid,
                ],
            )

    def amendments_to_push(self, *, limit: int = 100) -> list[Application]:
        """Uploaded applications with amendments the hub has not acknowledged yet."""
        rows = self._query(
            "SELECT * FROM applications WHERE state = 'uploaded' AND uuid IN "
            "(SELECT app_uuid FROM amendments WHERE uploaded_at IS NULL) ORDER BY rowid LIMIT ?",
            [limit],
        )
        return [self._row_to_app(r) for r in rows]

    def pending_amendments_count(self) -> int:
        rows = self._query(
            "SELECT count(*) AS n FROM amendments m JOIN applications a ON a.uuid = m.app_uuid "
            "WHERE m.uploaded_at IS NULL AND a.state != 'draft'"
        )
        return int(rows[0]["n"])

    def mark_amendments_uploaded(self, app_uuid: str, up_to_id: int) -> None:
        """The hub holds this application's amendments up to ``up_to_id``."""
        with self.write() as db:
            db.execute(
                "UPDATE amendments SET uploaded_at = ? WHERE app_uuid = ? AND id <= ? "
                "AND uploaded_at IS NULL",
                [self.now(), app_uuid, up_to_id],
            )

    def blobs_to_upload(self) -> list[dict[str, Any]]:
        """Blobs of acknowledged applications or amendments the hub has not confirmed yet:
        every document page's preview first (the county can start reading), then the full
        files, each oldest first. ``preview`` says which a row is."""
        rows = self._query(
            "SELECT b.sha256, b.size, b.mime, ("
            " EXISTS (SELECT 1 FROM attachments t WHERE t.preview_sha256 = b.sha256)"
            " OR EXISTS (SELECT 1 FROM amendment_attachments t WHERE t.preview_sha256 = b.sha256)"
            ") AS preview FROM blobs b WHERE b.uploaded_at IS NULL AND ("
            " EXISTS (SELECT 1 FROM attachments t JOIN applications a ON a.uuid = t.app_uuid"
            "  WHERE t.sha256 = b.sha256 AND a.state = 'uploaded')"
            " OR EXISTS (SELECT 1 FROM attachments t JOIN applications a ON a.uuid = t.app_uuid"
            "  WHERE t.preview_sha256 = b.sha256 AND a.state = 'uploaded')"
            " OR EXISTS (SELECT 1 FROM amendment_attachments t"
            "  JOIN amendments m ON m.id = t.amendment_id"
            "  WHERE t.sha256 = b.sha256 AND m.uploaded_at IS NOT NULL)"
            " OR EXISTS (SELECT 1 FROM amendment_attachments t"
            "  JOIN amendments m ON m.id = t.amendment_id"
            "  WHERE t.preview_sha256 = b.sha256 AND m.uploaded_at IS NOT NULL)"
            ") ORDER BY preview DESC, b.rowid"
        )
        return [dict(r) for r in rows]

    def mark_blob_uploaded(self, sha256: str) -> None:
        with self.write() as db:
            db.execute(
                "UPDATE blobs SET uploaded_at = ? WHERE sha256 = ? AND uploaded_at IS NULL",
                [self.now(), sha256],
            )

    def unsynced_count(self) -> int:
        """Applications, amendments and blobs not yet confirmed by the hub."""
        return self.pending_count() + self.pending_amendments_count() + len(self.blobs_to_upload())

    def apply_decisions(self, decisions: Sequence[dict[str, Any]]) -> int:
        """Record county decisions (idempotent by hub sequence). Returns how many were new."""
        now = self.now()
        new = 0
        s = self.sealer
        with self.write() as db:
            for d in decisions:
                app_uuid, note = str(d["uuid"]), d.get("note")
                cur = db.execute(
                    "INSERT OR IGNORE INTO decisions(seq, app_uuid, tracking_no, status, note, "
                    "decided_at, received_at) VALUES (?,?,?,?,?,?,?)",
                    [
                        d["seq"],
                        app_uuid,
                        d.get("tracking_no"),
                        d["status"],
                        s.seal("decisions", "note", str(d["seq"]), note),
                        str(d["decided_at"]),
                        now,
                    ],
                )
                if cur.rowcount:
                    new += 1
                db.execute(
                    "UPDATE applications SET status = ?, status_note = ?, status_at = ?, "
                    "status_seq = ? WHERE uuid = ? AND (status_seq IS NULL OR status_seq < ?)",
                    [
                        d["status"],
                        s.seal("applications", "status_note", app_uuid, note),
                        str(d["decided_at"]),
                        d["seq"],
                        app_uuid,
                        d["seq"],
                    ],
                )
        return new

    def decisions(self, app_uuid: str) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT seq, status, note, decided_at, received_at FROM decisions "
            "WHERE app_uuid = ? ORDER BY seq",
            [app_uuid],
        )
        out = []
        for r in rows:
            item = dict(r)
            item["note"] = self.sealer.open("decisions", "note", str(r["seq"]), r["note"])
            out.append(item)
        return out
