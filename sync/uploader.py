"""Resumable attachment uploads: content-addressed, in chunks, resumed from the hub's offset.

Each chunk is a ``PATCH /v1/blobs/{sha256}`` at the hub's current ``Upload-Offset``.  The hub
keeps every byte of a chunk that arrived, also of one cut short (the tus model), so after a
break the uploader asks the hub where it stands (HEAD) and goes on from there: only bytes
still in flight when the link broke are sent again.  The chunk starts at the configured size
and doubles after each whole chunk that went through without a break, up to
`MAX_CHUNK_BYTES`: on a steady link an attachment costs few round trips.  It never shrinks
(a break costs no more with a large chunk, and shrinking would only add round trips and make
it oscillate around the break interval), so under periodic cuts it simply stops growing.  A
push answer that already says where each upload stands lets the caller pass ``offset`` and
skip the HEAD.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from pydantic import ValidationError

from sync.errors import HubError, HubUnreachable, LocalBlobCorrupt, RecordRejected
from sync.protocol import LENGTH_HEADER, MAX_CHUNK_BYTES, OFFSET_HEADER, BlobStatus
from sync.transport import HubTransport, error_of, raise_for_common, unexpected

MIN_CHUNK_BYTES = 16 * 1024
"""Smallest attachment chunk a client may be configured with (`sync.client`)."""
CHUNK_STEP_BYTES = 32 * 1024
"""Kept for `sync.client`'s settings (chunks now double, see `BlobUploader`)."""
MAX_BREAKS = 3
"""Breaks in a row that moved the hub's offset no further, on one attachment, before the pass
gives up (the link is down).  A break after which the hub holds more does not count."""
MAX_CONFLICTS = 8
"""409 answers in a row on one attachment (another request still sending it) before giving up."""

ReadBlob = Callable[[str], bytes]
OnSent = Callable[[int], None]


class BlobUploader:
    """Uploads one attachment at a time to one hub; keeps the chunk size across attachments.

    ``read_blob(sha256)`` gives the local bytes (`Store.read_blob`); they are checked against
    their name before a byte is sent. ``chunk_size`` is the first chunk's size (the last of an
    attachment may be smaller); it doubles after every whole chunk the hub took without a
    break, up to ``max_chunk_size`` (pass ``chunk_size`` itself to keep it fixed).
    """

    def __init__(
        self,
        http: HubTransport,
        read_blob: ReadBlob,
        *,
        chunk_size: int,
        max_chunk_size: int = MAX_CHUNK_BYTES,
    ) -> None:
        if not 1 <= chunk_size <= MAX_CHUNK_BYTES:
            raise ValueError(f"chunk_size must be 1..{MAX_CHUNK_BYTES}")
        self.http = http
        self.read_blob = read_blob
        self.chunk_size = chunk_size
        self.max_chunk_size = max(chunk_size, min(max_chunk_size, MAX_CHUNK_BYTES))

    def hub_offset(self, sha: str) -> int:
        """The hub's offset for a blob (0 when it never saw it); raises on a link problem."""
        response = self.http.send("HEAD", f"/v1/blobs/{sha}")
        if response.status_code == 404:
            return 0
        raise_for_common(response)
        if response.status_code == 403:
            raise RecordRejected("-", f"attachment not referenced on the hub: {sha[:12]}")
        if response.status_code != 200:
            raise unexpected(response)
        if OFFSET_HEADER not in response.headers or LENGTH_HEADER not in response.headers:
            # http.client accepts a head cut short by a broken link (no blank line); trusting
            # a missing or cut Upload-Offset would re-send bytes the hub already has
            raise HubUnreachable("the hub's answer was cut short")
        return int(response.headers[OFFSET_HEADER])

    def _local(self, sha: str, size: int) -> bytes:
        try:
            data = self.read_blob(sha)
        except Exception as exc:  # NotFound or an OS error: the file is gone or unreadable
            raise LocalBlobCorrupt(sha, f"cannot read: {exc}") from exc
        if hashlib.sha256(data).hexdigest() != sha or len(data) != size:
            raise LocalBlobCorrupt(sha, "SHA-256 or size differs from the stored record")
        return data

    def upload(
        self, sha: str, size: int, *, offset: int | None = None, on_sent: OnSent | None = None
    ) -> None:
        """Send the blob from ``offset`` (default: ask the hub) until the hub holds all of it.

        ``on_sent(n)`` is called whenever the hub holds n more bytes (an acknowledged chunk, or
        the part of a cut one the hub kept). Raises
        `LocalBlobCorrupt`, `RecordRejected` (the hub refuses this blob), `HubUnreachable`
        (more than `MAX_BREAKS` breaks in a row without progress) or `HubError`.
        """
        data = self._local(sha, size)
        path = f"/v1/blobs/{sha}"
        if offset is None:
            offset = self.hub_offset(sha)
        breaks = 0
        restarts = 0
        conflicts = 0
        best = offset  # the most the hub has said it holds

        def after_break(cause: Exception | None = None) -> int:
            nonlocal breaks, best
            resumed = self.hub_offset(sha)  # resume from what the hub kept
            if resumed > best:  # the hub kept what arrived: progress, not a stall
                if on_sent is not None:
                    on_sent(resumed - best)
                best, breaks = resumed, 0
            else:
                breaks += 1
                if breaks > MAX_BREAKS:
                    raise HubUnreachable("the link breaks before the upload moves on") from cause
            return resumed

        while True:
            if offset >= size and size > 0:
                return
            chunk = data[offset : offset + self.chunk_size]
            try:
                response = self.http.send(
                    "PATCH",
                    path,
                    data=chunk,
                    headers={
                        OFFSET_HEADER: str(offset),
                        LENGTH_HEADER: str(size),
                        "Content-Type": "application/offset+octet-stream",
                    },
                    expect_bytes=len(chunk),
                )
            except HubUnreachable as exc:
                offset = after_break(exc)
                continue
            status = response.status_code
            if status == 200:
                try:
                    status_body = BlobStatus.model_validate_json(response.content)
                except ValidationError as exc:
                    # a 200 whose head was cut short by the link (no body): ask where we are
                    offset = after_break(exc)
                    continue
                whole = len(chunk) == self.chunk_size and status_body.offset == offset + len(chunk)
                offset = status_body.offset
                if on_sent is not None and offset > best:
                    on_sent(offset - best)
                best = max(best, offset)
                breaks = conflicts = 0
                if whole:  # a steady link: fewer, larger requests (never shrunk again)
                    self.chunk_size = min(self.max_chunk_size, self.chunk_size * 2)
                if status_body.complete:
                    return
                continue
            if status == 409 and OFFSET_HEADER in response.headers:
                offset = int(response.headers[OFFSET_HEADER])
                best = max(best, offset)
                conflicts += 1
                if conflicts > MAX_CONFLICTS:
                    raise HubError(f"attachment {sha[:12]}: the hub's offset keeps moving")
                continue
            if status == 409:  # upload_busy: an earlier request of ours has not ended yet
                conflicts += 1
                if conflicts > MAX_CONFLICTS:
                    raise HubUnreachable("the hub is still taking an earlier upload request")
                offset = self.hub_offset(sha)
                continue
            code, message = error_of(response)
            if status == 422 and code == "hash_mismatch":
                # verified locally, so the bytes changed on the way; the hub discarded them
                restarts += 1
                if restarts > 1:
                    raise HubError(
                        f"hash_mismatch twice for {sha[:12]}: {message}", status=status, code=code
                    )
                offset = 0
                continue
            raise_for_common(response)
            if status in (403, 422):
                raise RecordRejected("-", f"attachment {sha[:12]}: {code}: {message}")
            raise unexpected(response)
