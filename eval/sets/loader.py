"""Read and validate labelled query sets into :class:`~eval.sets.labelled.LabelledSet` (the loader layer).

JSONL and CSV files are accepted (formats: :mod:`eval.sets.readers` and ``eval/data/README.md``), plus a ``.zip``
holding one of them with its images.

Labels are non-negative integers (graded relevance, e.g. 0-3). A JSONL candidate may instead carry several raters'
grades; its label is then their aggregate by the set's rule, or by ``aggregate=`` (:mod:`eval.sets.grades`), and a
candidate with neither is unjudged. Everything is validated before anything is scored:
each problem is reported with the file name and line, and a file with any problem is refused as a whole, so nothing
half-read is ever evaluated. Images are decoded once by :func:`lychee.load_image` and clips by
:func:`lychee.video.load_video` to prove they are readable (a clip over 30 s is refused here too).

An uploaded JSONL/CSV (bytes without a folder) cannot resolve relative image or clip paths; upload a ``.zip``
containing the data file and its images and clips instead (paths inside the zip are relative to the data file there).

Adding a format: a *reader* (:mod:`eval.sets.readers`) turns the decoded text into ``RawQuery`` rows (fields as written,
unchecked) and reports what it cannot read to a :class:`~eval.sets.problems.Problems`; :func:`build_set` then checks
ids, labels, texts and images the same way for every format and returns the :class:`~eval.sets.labelled.LabelledSet`
(or raises one :class:`~eval.sets.labelled.LabelledSetError` listing every problem). A one-file format registers its
reader in :data:`eval.sets.readers.READERS` under its suffix; a format spread over several files (a folder) builds its
rows itself and calls :func:`build_set` with a :class:`FolderResolver`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from eval.sets.grades import (
    DEFAULT_AGGREGATE,
    Judgment,
    check_header,
    check_judging,
    check_judgment,
    check_rule,
    relabel,
    unjudged_note,
)
from eval.sets.labelled import Candidate, ImageRef, LabelledQuery, LabelledSet, LabelledSetError
from eval.sets.problems import Problems
from eval.sets.readers import CSV_REQUIRED, EXAMPLE_LINE, MISSING, READERS, CsvLabel, RawQuery, jsonl_header
from lychee.items import load_image
from lychee.video import Video, load_video

FORMATS = (".jsonl", ".csv", ".zip")
# A zip upload is read into memory; refuse archives whose content would not fit comfortably.
MAX_ZIP_BYTES = 512 * 1024 * 1024
# ... and archives of more files than a labelled set with its images has (each member costs a file and a read).
MAX_ZIP_MEMBERS = 20_000
_WHITESPACE = re.compile(r"\s")


# --- public entry point ---------------------------------------------------------------------------------------------
def load_labelled_set(
    source: str | os.PathLike | bytes,
    *,
    name: str | None = None,
    aggregate: str | None = None,
) -> LabelledSet:
    """Read and validate a labelled set.

    Args:
        source: a path to a ``.jsonl``, ``.csv`` or ``.zip`` file, or the bytes of one (an upload).
        name: the file name for messages and for telling the format from its suffix; required with bytes.
        aggregate: the rule that turns several raters' grades into a label (:data:`eval.sets.grades.AGGREGATES`),
            instead of the set's own (its header's, default ``mean``); no effect on plain labels.

    Returns:
        The validated :class:`LabelledSet`.

    Raises:
        LabelledSetError: (a ``ValueError``) the file is missing, of an unknown format, or has any problem; the
            message names the file and line of each problem.
        TypeError: ``source`` is neither a path nor bytes.
        ValueError: ``aggregate`` is not a known rule.

    Example:
        >>> labelled = load_labelled_set("eval/data/ecommerce.jsonl")
        >>> labelled.qrels["shoes-01"]["p001"]
        3
    """
    if aggregate is not None:
        check_rule(aggregate, "aggregate")
    if isinstance(source, (bytes, bytearray)):
        if not name:
            raise ValueError("load_labelled_set: bytes need a file name (name='upload.jsonl') to tell the format.")
        data, base_dir, display = bytes(source), None, name
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        display = name or str(source)
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "file not found"
            raise LabelledSetError(
                [f"{display}: {what}. Expected a labelled set file ({', '.join(FORMATS)}); see eval/data/README.md."],
                display,
            )
        data, base_dir = path.read_bytes(), path.parent
    else:
        raise TypeError(f"load_labelled_set: got {type(source).__name__}; expected a file path or the bytes of a file.")

    suffix = Path(display).suffix.lower()
    if suffix == ".zip":
        return _load_zip(data, display, aggregate)
    if suffix not in READERS:
        raise LabelledSetError(
            [f"{display}: unknown format {suffix or '(no suffix)'!r}; expected a file ending in {', '.join(FORMATS)}."],
            display,
        )
    resolver = FolderResolver(base_dir, display) if base_dir is not None else UploadResolver(display)
    return parse_data_file(data, display=display, suffix=suffix, resolver=resolver, aggregate=aggregate)


# --- image resolution -----------------------------------------------------------------------------------------------
class ImageResolver:
    """Turns an image or clip path written in the file into an :data:`ImageRef` / a checked
    :class:`~lychee.video.Video`, validating each file once."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.seen: dict[str, tuple[ImageRef, str]] = {}
        self.seen_videos: dict[str, tuple[Video, str]] = {}

    def resolve(self, written: str, what: str) -> tuple[ImageRef, str]:
        """Returns (image, sha256 of its bytes); raises ValueError naming ``what`` and the path."""
        raise NotImplementedError

    def resolve_video(self, written: str, what: str) -> tuple[Video, str]:
        """Returns (clip, sha256 of its bytes); raises ValueError naming ``what`` and the path."""
        raise NotImplementedError


class FolderResolver(ImageResolver):
    """Image paths relative to a folder (the data file's).

    A subclass that sets :attr:`root` (an unpacked upload's folder) resolves paths only inside it: an absolute path
    or one that climbs out with ``..`` is refused from its text alone, before anything is looked up, so no message
    says whether such a file exists.
    """

    #: The folder every image must lie in, or ``None`` for no bound (the CLI on the analyst's own folder).
    root: Path | None = None

    def __init__(self, base_dir: Path, display: str) -> None:
        super().__init__(display)
        self.base_dir = base_dir

    def _path(self, written: str, what: str) -> Path:
        """The file ``written`` names, checked against :attr:`root`."""
        if self.root is None:
            return (self.base_dir / written).resolve()
        root = Path(os.path.normpath(self.root))
        path = Path(os.path.normpath(self.base_dir / written.replace("\\", "/")))
        if Path(written).is_absolute() or written.startswith(("\\", "/")) or not path.is_relative_to(root):
            raise ValueError(
                f"{what} {written!r}: points outside the archive; expected a path relative to the data file, inside "
                "the archive."
            )
        if not path.is_file():  # inside the archive: saying so tells nothing about the server's files
            raise ValueError(f"{what} {written!r}: not found in the archive.")
        return path

    def resolve(self, written: str, what: str) -> tuple[ImageRef, str]:
        path = self._path(written, what)
        key = str(path)
        if key not in self.seen:
            load_image(path, what=what)  # raises ValueError naming the input when missing/corrupt
            raw = path.read_bytes()
            self.seen[key] = (self._keep(path, raw), hashlib.sha256(raw).hexdigest())
        return self.seen[key]

    def _keep(self, path: Path, raw: bytes) -> ImageRef:
        """What :meth:`resolve` hands out (and caches) for a checked image: its path; ``raw`` is the file's bytes."""
        return path

    def resolve_video(self, written: str, what: str) -> tuple[Video, str]:
        path = self._path(written, what)
        key = str(path)
        if key not in self.seen_videos:
            video = load_video(path, what=what)  # raises ValueError naming the input: missing, corrupt, too long...
            self.seen_videos[key] = (video, hashlib.sha256(path.read_bytes()).hexdigest())
        return self.seen_videos[key]


class UploadResolver(ImageResolver):
    """An upload has no folder: any image path is refused with a message saying to upload a zip."""

    def resolve(self, written: str, what: str) -> tuple[ImageRef, str]:
        raise ValueError(
            f"{what} {written!r}: image paths cannot be resolved relative to an uploaded file. Upload a .zip that "
            "holds the data file and its images (paths relative to the data file), or run the CLI on the file."
        )

    def resolve_video(self, written: str, what: str) -> tuple[Video, str]:
        raise ValueError(
            f"{what} {written!r}: clip paths cannot be resolved relative to an uploaded file. Upload a .zip that "
            "holds the data file and its clips (paths relative to the data file), or run the CLI on the file."
        )


class ZipResolver(ImageResolver):
    """Image paths relative to the data file inside a zip archive."""

    def __init__(self, archive: zipfile.ZipFile, data_member: str, display: str) -> None:
        super().__init__(display)
        self.archive = archive
        self.folder = posixpath.dirname(data_member)
        self.members = {m.filename for m in archive.infolist() if not m.is_dir()}

    def _member(self, written: str, what: str) -> str:
        member = posixpath.normpath(posixpath.join(self.folder, written.replace("\\", "/")))
        if written.startswith(("/", "\\")) or member.startswith("../") or member == "..":
            raise ValueError(
                f"{what} {written!r}: points outside the archive; expected a path relative to the data file."
            )
        if member not in self.members:
            raise ValueError(f"{what} {written!r}: not found in the archive (looked for {member!r}).")
        return member

    def resolve(self, written: str, what: str) -> tuple[ImageRef, str]:
        member = self._member(written, what)
        if member not in self.seen:
            raw = self.archive.read(member)
            load_image(raw, what=f"{what} {written!r}")
            self.seen[member] = (raw, hashlib.sha256(raw).hexdigest())
        return self.seen[member]

    def resolve_video(self, written: str, what: str) -> tuple[Video, str]:
        member = self._member(written, what)
        if member not in self.seen_videos:
            raw = self.archive.read(member)
            self.seen_videos[member] = (load_video(raw, what=f"{what} {written!r}"), hashlib.sha256(raw).hexdigest())
        return self.seen_videos[member]


def open_zip(data: bytes, display: str, *, too_big_hint: str) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """Open an uploaded zip and list its files (no folders, no macOS ``__MACOSX/`` forks), refusing an unreadable
    archive, one of more than :data:`MAX_ZIP_MEMBERS` members or one that unpacks to more than :data:`MAX_ZIP_BYTES`;
    ``too_big_hint`` ends those messages.

    Raises:
        LabelledSetError: the bytes are not a zip, or the archive is over the limit.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise LabelledSetError([f"{display}: not a readable zip archive ({exc})."], display) from exc
    if len(archive.infolist()) > MAX_ZIP_MEMBERS:
        count = len(archive.infolist())
        archive.close()
        raise LabelledSetError(
            [f"{display}: holds {count:,} files and folders; the limit is {MAX_ZIP_MEMBERS:,}. {too_big_hint}"], display
        )
    members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
    total = sum(m.file_size for m in members)
    if total > MAX_ZIP_BYTES:
        archive.close()
        raise LabelledSetError(
            [f"{display}: unpacks to {total:,} bytes; the limit is {MAX_ZIP_BYTES:,}. {too_big_hint}"], display
        )
    return archive, members


def _load_zip(data: bytes, display: str, aggregate: str | None) -> LabelledSet:
    archive, infos = open_zip(data, display, too_big_hint="Split the set or use the CLI.")
    with archive:
        data_files = [m.filename for m in infos if m.filename.lower().endswith(tuple(READERS))]
        if len(data_files) != 1:
            found = ", ".join(data_files) if data_files else "none"
            raise LabelledSetError(
                [f"{display}: expected exactly one .jsonl or .csv data file in the archive, found {found}."], display
            )
        member = data_files[0]
        resolver = ZipResolver(archive, member, f"{display}:{member}")
        return parse_data_file(
            archive.read(member),
            display=f"{display}:{member}",
            suffix=Path(member).suffix.lower(),
            resolver=resolver,
            aggregate=aggregate,
        )


# --- parsing --------------------------------------------------------------------------------------------------------
def _decode(data: bytes, display: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LabelledSetError(
            [f"{display}, line {line}: not valid UTF-8 (byte {data[exc.start]:#04x}); save the file as UTF-8."], display
        ) from exc


def parse_data_file(
    data: bytes, *, display: str, suffix: str, resolver: ImageResolver, aggregate: str | None = None
) -> LabelledSet:
    """Decode one data file, read it with the reader of its suffix (:data:`READERS`) and build the set
    (``aggregate``: see :func:`load_labelled_set`).

    Raises:
        LabelledSetError: the bytes are not UTF-8, or any row has a problem.
    """
    text = _decode(data, display)
    problems = Problems(display, limit=None)  # the file is in memory: nothing to stop streaming, list every problem
    header = jsonl_header(text) if suffix == ".jsonl" else (None, 0)
    rows = READERS[suffix](text, problems)
    expected = f"one JSON object per line like {EXAMPLE_LINE}, or a CSV with the header {','.join(CSV_REQUIRED)}"
    return build_set(
        rows,
        name=display,
        content=data,
        problems=problems,
        resolver=resolver,
        expected=expected,
        header=header,
        aggregate=aggregate,
    )


def build_set(
    rows: Iterable[RawQuery],
    *,
    name: str,
    content: bytes,
    problems: Problems,
    resolver: ImageResolver,
    expected: str,
    header: tuple[dict[str, Any] | None, int] = (None, 0),
    aggregate: str | None = None,
) -> LabelledSet:
    """Check every row and build the :class:`~eval.sets.labelled.LabelledSet`; the one validation every format shares.

    Args:
        rows: the queries as read (a reader's output); consumed once.
        name: the set's name for messages and ``LabelledSet.name``.
        content: the bytes the content hash starts from (the data file; a multi-file format passes all of its files'
            bytes); every image's sha256 is added as it is resolved.
        problems: where the reader recorded its problems; this function adds its own and reports them all in line
            order (a reader's problems and the checks' come from two passes over the file).
        resolver: turns image paths into images.
        expected: what a valid file looks like, for the "no queries found" message.
        header: the set header's object and line (:func:`eval.sets.readers.jsonl_header`), or ``(None, 0)``.
        aggregate: the rule that turns grades into labels instead of the header's (an evaluation's override).

    Raises:
        LabelledSetError: any problem, the reader's or this function's, each naming the file and line.
    """
    hasher = hashlib.sha256(content)
    rule, guidelines = DEFAULT_AGGREGATE, None
    if header[0] is not None:
        rule, guidelines, header_problems = check_header(header[0])
        for message in header_problems:
            problems.add_line(header[1], message)
    queries: list[LabelledQuery] = []
    seen_qids: dict[str, int] = {}
    for raw in rows:
        query = _build_query(raw, problems, resolver, hasher, (rule, aggregate or rule))
        if query is None:
            continue
        if query.qid in seen_qids:
            problems.add_line(
                query.line,
                f"qid {query.qid!r} already used on line {seen_qids[query.qid]}; each query must appear once "
                "(merge its candidates into one line).",
            )
            continue
        seen_qids[query.qid] = query.line
        queries.append(query)
    if not problems and not queries:
        problems.add(name, 0, f"no queries found; expected {expected}.")
    problems.raise_if_any(in_line_order=True)
    return LabelledSet(
        name=name,
        queries=tuple(queries),
        content_hash=hasher.hexdigest(),
        notes=unjudged_note(name, [c for q in queries for c in q.candidates]),
        aggregate=aggregate or rule,
        guidelines=guidelines,
    )


def _check_id(value: Any, what: str) -> tuple[str | None, str | None]:
    """Returns (id, problem)."""
    if value is None or value is MISSING:
        return None, f"missing {what}; expected a non-empty string without spaces."
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None, f"{what} must be a string (or integer), got {value!r}."
    text = str(value)
    if not text:
        return None, f"{what} is empty; expected a non-empty string without spaces."
    if _WHITESPACE.search(text):
        return (
            None,
            f"{what} {text!r} contains whitespace; TREC run and qrels files are whitespace-separated, so ids cannot.",
        )
    return text, None


def _label_problem(value: Any, where: str) -> str | None:
    """What is wrong with a label written in the file (not a non-negative integer), or None."""
    if isinstance(value, bool) or not isinstance(value, int):
        shown = repr(str(value)) if isinstance(value, CsvLabel) else f"{value!r} ({type(value).__name__})"
        return f"{where}: label must be a non-negative integer, got {shown}. Use graded integers such as 0, 1, 2, 3."
    if value < 0:
        return f"{where}: label must be a non-negative integer, got {value}. Use 0 for not relevant."
    return None


def _build_query(
    raw: RawQuery, problems: Problems, resolver: ImageResolver, hasher: Any, rules: tuple[str, str]
) -> LabelledQuery | None:
    """The checked query of ``raw``, or None after recording its problems; ``rules`` are the file's aggregation
    rule (what its labels must agree with) and the one that makes the labels."""
    n_before = len(problems)
    qid, problem = _check_id(raw.qid, "qid")
    if problem:
        problems.add_line(raw.line, problem)
        return None
    q_text = raw.text
    if q_text is not None and not isinstance(q_text, str):
        problems.add_line(raw.line, f"query {qid!r}: text must be a string, got {q_text!r}.")
    q_image = q_image_name = None
    if raw.image is not None:
        if not isinstance(raw.image, str) or not raw.image.strip():
            problems.add_line(
                raw.line, f"query {qid!r}: image must be a path string relative to the file, got {raw.image!r}."
            )
        else:
            q_image, q_image_name = _image(resolver, raw.image, f"query {qid!r} image", raw.line, problems, hasher)
    q_video, q_video_name = _video(resolver, raw.video, f"query {qid!r}", raw.line, problems, hasher)
    if (not isinstance(q_text, str) or not q_text.strip()) and raw.image is None and raw.video is None:
        problems.add_line(
            raw.line, f"query {qid!r} has neither text nor image nor clip; give it text, an image, a clip, or a mix."
        )
    if not raw.candidates:
        problems.add_line(
            raw.line, f"query {qid!r} has no candidates; expected a non-empty list of labelled documents."
        )
    segment = raw.segment
    if segment is not None and (not isinstance(segment, str) or not segment.strip()):
        problems.add_line(
            raw.line, f'query {qid!r}: segment must be a non-empty string such as "风格导向", got {segment!r}.'
        )
    candidates = _build_candidates(raw, qid, problems, resolver, hasher, rules)
    judging, judging_problem = check_judging(raw.judging, f"query {qid!r}")
    if judging_problem:
        problems.add_line(raw.line, judging_problem)
    if len(problems) != n_before:
        return None
    return LabelledQuery(
        qid,
        q_text,
        tuple(candidates),
        q_image,
        q_image_name,
        raw.line,
        segment=segment.strip() if segment else None,
        video=q_video,
        video_name=q_video_name,
        judging=judging,
    )


def _judgment(rc: Any, where: str, rules: tuple[str, str]) -> tuple[Judgment | None, list[str]]:
    """A candidate's label and grades, checked (:func:`eval.sets.grades.check_judgment`); the label under the
    evaluation's rule."""
    if rc.label is not MISSING and rc.label is not None:
        problem = _label_problem(rc.label, where)
        if problem:
            return None, [problem]
    judgment, messages = check_judgment(
        rc.label, rc.grades, rc.graded_at, rc.adjudicated, rule=rules[0], where=where, missing=MISSING
    )
    if judgment is not None and rules[1] != rules[0]:
        judgment = dataclasses.replace(judgment, label=relabel(judgment, rules[1]))
    return judgment, messages


def _build_candidates(
    raw: RawQuery, qid: str, problems: Problems, resolver: ImageResolver, hasher: Any, rules: tuple[str, str]
) -> list[Candidate]:
    """The candidates of query ``qid`` that have a valid label (or none: unjudged); every problem is recorded."""
    candidates: list[Candidate] = []
    seen: dict[str, str] = {}
    for rc in raw.candidates:
        docid, problem = _check_id(rc.docid, "docid")
        if problem:
            problems.add_line(rc.line, f"{rc.where or 'row'} of query {qid!r}: {problem}")
            continue
        where = f"candidate {docid!r}" + (f" ({rc.where})" if rc.where else "") + f" of query {qid!r}"
        if docid in seen:
            problems.add_line(
                rc.line,
                f"{where}: duplicate docid, already used by {seen[docid]}; docids must be unique within a query.",
            )
            continue
        seen[docid] = rc.where or f"the row on line {rc.line}"
        judgment, messages = _judgment(rc, where, rules)
        for message in messages:
            problems.add_line(rc.line, message)
        text = rc.text
        if text is not None and not isinstance(text, str):
            problems.add_line(rc.line, f"{where}: text must be a string, got {text!r}.")
            text = None
        image = image_name = None
        if rc.image is not None:
            if not isinstance(rc.image, str) or not rc.image.strip():
                problems.add_line(
                    rc.line, f"{where}: image must be a path string relative to the file, got {rc.image!r}."
                )
            else:
                image, image_name = _image(resolver, rc.image, f"{where} image", rc.line, problems, hasher)
        video, video_name = _video(resolver, rc.video, where, rc.line, problems, hasher)
        if (text is None or not text.strip()) and rc.image is None and rc.video is None:
            problems.add_line(
                rc.line,
                f"{where} has neither text nor image nor clip; give it text, an image, a clip, or a mix (or remove it).",
            )
        if judgment is not None:
            candidates.append(
                Candidate(
                    docid,
                    judgment.label,
                    text,
                    image,
                    image_name,
                    rc.line,
                    judged=judgment.judged,
                    video=video,
                    video_name=video_name,
                    grades=judgment.grades,
                    adjudicated=judgment.adjudicated,
                    adjudicated_by=judgment.adjudicated_by,
                )
            )
    return candidates


def _resolved(
    resolve: Callable[[str, str], tuple[Any, str]], written: str, label: str, line: int, problems: Problems, hasher: Any
) -> tuple[Any, str | None]:
    """``resolve(written, label)`` (an image or a clip) with its digest hashed into the set's, or ``(None, None)``
    after logging the resolver's message (it names the file, line and what is wrong; kept whole)."""
    try:
        ref, digest = resolve(written, label)
    except ValueError as exc:
        problems.add_raw(str(exc), line=line)
        return None, None
    hasher.update(digest.encode())
    return ref, written


def _image(
    resolver: ImageResolver, written: str, what: str, line: int, problems: Problems, hasher: Any
) -> tuple[ImageRef | None, str | None]:
    return _resolved(resolver.resolve, written, f"{resolver.display}, line {line}: {what}", line, problems, hasher)


def _video(
    resolver: ImageResolver, written: Any, owner: str, line: int, problems: Problems, hasher: Any
) -> tuple[Video | None, str | None]:
    """The clip ``written`` for ``owner`` (``"query 'q1'"``, ``"candidate 'd1' ... of query 'q1'"``), checked."""
    if written is None:
        return None, None
    if not isinstance(written, str) or not written.strip():
        problems.add_line(line, f"{owner}: video must be a path string relative to the file, got {written!r}.")
        return None, None
    return _resolved(
        resolver.resolve_video, written, f"{resolver.display}, line {line}: {owner} video", line, problems, hasher
    )


__all__ = [
    "FORMATS",
    "MAX_ZIP_BYTES",
    "MAX_ZIP_MEMBERS",
    "FolderResolver",
    "ImageResolver",
    "UploadResolver",
    "ZipResolver",
    "build_set",
    "load_labelled_set",
    "open_zip",
    "parse_data_file",
]
