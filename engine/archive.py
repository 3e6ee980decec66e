"""Self-contained event logs (JSONL): write them, read them back with every check, pseudonymise them.

A table's log is a header line (format, versions, the deck embedded whole, the table) and one line per
event. A conference's log is a conference line followed by one such table log per table. The format is
described field by field in docs/replay.md.

Reading checks everything before anything is used: the header's schema, that the embedded deck is valid
and is the deck its digest names, that seqs run 1, 2, 3 … without a gap, that every event decodes (old
versions upcast), that the rules can fold the whole log, and the log's digest. The first problem is
raised as `ArchiveError` with the file's line number. Pure: text in, models out.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from engine.deck import Deck, _cross_check
from engine.model import AnnouncementMade, Event, GameCreated, MessagePosted, PlayerJoined, State
from engine.rules import evolve, initial_state
from engine.upcast import EventDecodeError, decode_event
from engine.versions import EVENT_VERSIONS

LOG_FORMAT = "raaderum-log"
CONFERENCE_FORMAT = "raaderum-conference"
FORMAT_VERSION = 1  # of the file layout; events carry their own versions
CHECKPOINT_EVERY = 500  # a replay keeps the state after every this many events
PSEUDONYM = "Spiller {number}"


class ArchiveError(ValueError):
    """A log that cannot be read. `line` is 1-based, as editors count."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


# ---- The lines -----------------------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TableInfo(Strict):
    table_id: str = Field(min_length=1, max_length=100)
    table_name: str
    conference_id: str | None = None
    events: int = Field(ge=1, description="How many event lines follow the header")
    log_digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the event lines as written: log_digest()")
    pseudonymised: bool = False


class LogHeader(Strict):
    format: Literal["raaderum-log"]
    format_version: int = Field(ge=1)
    raaderum_version: str
    deck_id: str
    deck_digest: str
    table: TableInfo
    deck: Deck


class ConferenceHeader(Strict):
    format: Literal["raaderum-conference"]
    format_version: int = Field(ge=1)
    raaderum_version: str
    conference_id: str = Field(min_length=1, max_length=100)
    name: str
    tables: int = Field(ge=1, description="How many table logs follow")


class EventLine(Strict):
    seq: int = Field(ge=1)
    type: str
    version: int = Field(ge=0)
    at: AwareDatetime = Field(description="When the server stored the event (UTC)")
    data: dict[str, Any] = Field(description="The event's JSON object at `version`")

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "version": self.version, "at": iso(self.at), "data": self.data}


def iso(at: datetime) -> str:
    """UTC with microseconds and a Z: the one spelling of a time in a log, so a rewrite is byte-identical."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dumps(value: Any) -> str:
    """One line of the file: compact JSON, non-ASCII kept as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def log_digest(lines: Iterable[str]) -> str:
    """sha256 over the event lines as written, each followed by one "\n" (a "\r\n" line end counts as "\n")."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


_LINE_KEYS = frozenset(("seq", "type", "version", "at", "data"))


def _event_line(raw: Any, line: int) -> EventLine:
    """The line's fields; a well-formed line is taken as is, anything else goes through the model for the reason."""
    if type(raw) is dict and raw.keys() == _LINE_KEYS:
        seq, kind, version, at, data = raw["seq"], raw["type"], raw["version"], raw["at"], raw["data"]
        if type(seq) is int and type(kind) is str and type(version) is int and type(at) is str and type(data) is dict:
            try:
                when = datetime.fromisoformat(at)
            except ValueError:
                when = None
            if seq >= 1 and version >= 0 and when is not None and when.tzinfo is not None:
                return EventLine.model_construct(seq=seq, type=kind, version=version, at=when, data=data)
    try:
        return EventLine.model_validate(raw)
    except ValidationError as error:
        raise ArchiveError(line, _first_error(error)) from None


# ---- A table's log -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TableLog:
    """One table's validated log: the header, its lines, the events at today's version, and checkpoints."""

    header: LogHeader
    lines: tuple[EventLine, ...]
    events: tuple[Event, ...]
    checkpoints: tuple[State, ...]  # the state after 0, CHECKPOINT_EVERY, 2 × CHECKPOINT_EVERY … events
    texts: tuple[str, ...]  # the event lines as written (the log digest is theirs), without line ends

    @property
    def deck(self) -> Deck:
        return self.header.deck

    @property
    def total(self) -> int:
        return len(self.events)

    def state_at(self, seq: int, near: State | None = None) -> State:
        """The table's state after event `seq` (0 ≤ seq ≤ total), from the nearest checkpoint (or `near`)."""
        if not 0 <= seq <= self.total:
            raise IndexError(f"seq {seq} is outside 0..{self.total}")
        state = self.checkpoints[seq // CHECKPOINT_EVERY]
        if near is not None and state.seq <= near.seq <= seq:
            state = near
        for event in self.events[state.seq : seq]:
            state = evolve(state, event)
        return state

    @property
    def final(self) -> State:
        return self.state_at(self.total)

    def render(self) -> str:
        """The file: the header, then the event lines exactly as they were read or written."""
        return "".join(line + "\n" for line in (dumps(self.header.model_dump(mode="json")), *self.texts))


@dataclass(frozen=True, eq=False)
class Archive:
    """What a log file holds: one table, or a conference of several."""

    tables: tuple[TableLog, ...]
    conference: ConferenceHeader | None = None

    def render(self) -> str:
        if self.conference is None:
            return "".join(table.render() for table in self.tables)
        return dumps(self.conference.model_dump(mode="json")) + "\n" + "".join(t.render() for t in self.tables)


def _first_error(error: ValidationError, prefix: str = "") -> str:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "-"
    more = f" (and {error.error_count() - 1} more problems)" if error.error_count() > 1 else ""
    return f"{prefix}{field}: {first['msg']}{more}"


def _check_deck(deck: Deck, line: int) -> None:
    # The loader's cross-checks (references between cards, events, roles and areas; duplicate ids).
    here = Path("deck")
    problems = _cross_check(
        deck.scenario,
        {
            "cards": [(here, card) for card in deck.cards],
            "events": [(here, event) for event in deck.events],
            "roles": [(here, role) for role in deck.roles],
            "sources": [(here, source) for source in deck.sources],
        },
    )
    if problems:
        problem = problems[0]
        raise ArchiveError(line, f"deck: {problem.item}: {problem.field}: {problem.message}")


def _parse_header(data: Any, line: int) -> LogHeader:
    if not isinstance(data, dict) or data.get("format") != LOG_FORMAT:
        raise ArchiveError(line, f'not a Råderum log header: expected an object with "format": "{LOG_FORMAT}"')
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ArchiveError(line, "format_version must be a whole number from 1")
    if version > FORMAT_VERSION:
        raise ArchiveError(
            line, f"format_version {version} is newer than this Råderum reads ({FORMAT_VERSION}): use a newer Råderum"
        )
    try:
        header = LogHeader.model_validate(data)
    except ValidationError as error:
        raise ArchiveError(line, _first_error(error, "header: ")) from None
    deck = header.deck
    _check_deck(deck, line)
    digest = deck.digest
    if digest != header.deck_digest:
        raise ArchiveError(
            line,
            f"deck_digest {header.deck_digest[:12]}… does not match the embedded deck (sha256 {digest[:12]}…): "
            "the deck was changed",
        )
    if deck.scenario.id != header.deck_id:
        raise ArchiveError(line, f"deck_id {header.deck_id!r} is not the embedded deck's id {deck.scenario.id!r}")
    return header


def _json_line(text: str, line: int) -> Any:
    if not text.strip():
        raise ArchiveError(line, "an empty line where a line of the log was expected")
    try:
        return json.loads(text)
    except ValueError as error:
        raise ArchiveError(line, f"not JSON: {error}") from None


class _Folder:
    """Decodes and folds event lines one by one, keeping checkpoints; every refusal names the line."""

    def __init__(self, header: LogHeader, header_line: int) -> None:
        self.header = header
        self.header_line = header_line
        self.state = initial_state(header.deck)
        self.checkpoints: list[State] = [self.state]
        self.lines: list[EventLine] = []
        self.events: list[Event] = []
        self.digest = hashlib.sha256()
        self.texts: list[str] = []

    def add(self, text: str, line: int) -> None:
        raw = _json_line(text, line)
        if not isinstance(raw, dict):
            raise ArchiveError(line, "an event line must be a JSON object")
        if "format" in raw:
            raise ArchiveError(line, "a header where an event was expected (the previous table has too few events)")
        entry = _event_line(raw, line)
        expected = len(self.events) + 1
        if entry.seq != expected:
            kind = "a gap in the log" if entry.seq > expected else "out of order or repeated"
            raise ArchiveError(line, f"seq {expected} expected, found {entry.seq} ({kind})")
        try:
            event = decode_event(entry.type, entry.version, entry.data)
        except EventDecodeError as error:
            raise ArchiveError(line, str(error)) from None
        if expected == 1:
            self._check_created(event, line)
        elif isinstance(event, GameCreated):
            raise ArchiveError(line, "a second game_created: only seq 1 creates the game")
        try:
            self.state = evolve(self.state, event)
        except Exception as error:  # noqa: BLE001 - evolve is total on logs decide wrote; any error: a broken log
            raise ArchiveError(
                line, f"the rules cannot apply this {entry.type} event here ({type(error).__name__}: {error})"
            ) from None
        self.digest.update(text.encode())
        self.digest.update(b"\n")
        self.texts.append(text)
        self.lines.append(entry)
        self.events.append(event)
        if self.state.seq % CHECKPOINT_EVERY == 0:
            self.checkpoints.append(self.state)

    def _check_created(self, event: Event, line: int) -> None:
        if not isinstance(event, GameCreated):
            raise ArchiveError(line, f"the first event must be game_created, not {event.type}")
        if event.deck_id != self.header.deck_id or event.deck_digest != self.header.deck_digest:
            raise ArchiveError(
                line,
                f"the game was created with deck {event.deck_id} {event.deck_digest[:12]}…, "
                f"the header embeds {self.header.deck_id} {self.header.deck_digest[:12]}…",
            )

    def finish(self, check_digest: bool) -> TableLog:
        announced = self.header.table.events
        if len(self.events) != announced:
            raise ArchiveError(self.header_line, f"the header announces {announced} events, the log has {len(self)}")
        if check_digest and self.digest.hexdigest() != self.header.table.log_digest:
            raise ArchiveError(
                self.header_line,
                "log_digest does not match the event lines: the log was changed after it was exported",
            )
        return TableLog(self.header, tuple(self.lines), tuple(self.events), tuple(self.checkpoints), tuple(self.texts))

    def __len__(self) -> int:
        return len(self.events)


def _read_table(lines: Sequence[str], start: int) -> tuple[TableLog, int]:
    """The table log whose header is lines[start]; returns it and the index after its last event line."""
    header = _parse_header(_json_line(lines[start], start + 1), start + 1)
    folder = _Folder(header, start + 1)
    index = start + 1
    for _ in range(header.table.events):
        if index >= len(lines):
            raise ArchiveError(
                index + 1, f"the log ends after {len(folder)} of the {header.table.events} events its header announces"
            )
        folder.add(lines[index], index + 1)
        index += 1
    return folder.finish(check_digest=True), index


def read_archive(text: str) -> Archive:
    """Read and check a whole log file (one table or a conference). Raises ArchiveError on the first problem."""
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors add
    # Only "\n" ends a line: a chat line may hold U+2028 or U+0085, which str.splitlines() would split on.
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise ArchiveError(1, "the file is empty")
    first = _json_line(lines[0], 1)
    conference: ConferenceHeader | None = None
    tables: list[TableLog] = []
    index = 0
    if isinstance(first, dict) and first.get("format") == CONFERENCE_FORMAT:
        version = first.get("format_version")
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise ArchiveError(1, f"format_version {version} is newer than this Råderum reads ({FORMAT_VERSION})")
        try:
            conference = ConferenceHeader.model_validate(first)
        except ValidationError as error:
            raise ArchiveError(1, _first_error(error, "conference header: ")) from None
        index = 1
        for _ in range(conference.tables):
            if index >= len(lines):
                raise ArchiveError(
                    index + 1, f"the file ends after {len(tables)} of the {conference.tables} tables it announces"
                )
            table, index = _read_table(lines, index)
            if table.header.table.conference_id != conference.conference_id:
                raise ArchiveError(
                    index - len(table.lines), f"this table belongs to conference {table.header.table.conference_id!r}"
                )
            tables.append(table)
    else:
        table, index = _read_table(lines, 0)
        tables.append(table)
    if index < len(lines):
        raise ArchiveError(index + 1, "unexpected content after the end of the log")
    return Archive(tuple(tables), conference)


# ---- Writing -------------------------------------------------------------------------------------


def build_table_log(
    *,
    deck: Deck,
    table_id: str,
    table_name: str,
    lines: Sequence[EventLine],
    raaderum_version: str,
    conference_id: str | None = None,
    pseudonymised: bool = False,
) -> TableLog:
    """A table log from events as stored, checked like a read (so every log written can be read back)."""
    texts = [dumps(line.as_json()) for line in lines]
    digest = log_digest(texts)
    if not lines:
        raise ArchiveError(1, "a table without events has no log")
    header = LogHeader(
        format=LOG_FORMAT,
        format_version=FORMAT_VERSION,
        raaderum_version=raaderum_version,
        deck_id=deck.scenario.id,
        deck_digest=deck.digest,
        table=TableInfo(
            table_id=table_id,
            table_name=table_name,
            conference_id=conference_id,
            events=len(lines),
            log_digest=digest,
            pseudonymised=pseudonymised,
        ),
        deck=deck,
    )
    folder = _Folder(header, 1)
    for number, text in enumerate(texts, start=2):
        folder.add(text, number)
    return folder.finish(check_digest=False)


def build_conference(conference_id: str, name: str, tables: Sequence[TableLog], raaderum_version: str) -> Archive:
    header = ConferenceHeader(
        format=CONFERENCE_FORMAT,
        format_version=FORMAT_VERSION,
        raaderum_version=raaderum_version,
        conference_id=conference_id,
        name=name,
        tables=len(tables),
    )
    return Archive(tuple(tables), header)


def event_line(seq: int, at: datetime, event: Event) -> EventLine:
    """The line of an event at today's version (`at` with a time zone). Built from a valid event: not re-checked."""
    if at.tzinfo is None:
        raise ValueError("an event line's time needs a time zone")
    data = event.model_dump(mode="json")
    return EventLine.model_construct(seq=seq, type=event.type, version=EVENT_VERSIONS[event.type], at=at, data=data)


# ---- Pseudonymising ------------------------------------------------------------------------------


def _name_pattern(names: Mapping[str, str]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    """A pattern for every name and every word of it (two letters and more), longest first, as whole words with
    an optional genitive s; and the pseudonym of each (case-folded) variant, the first player's on a tie."""
    variants: dict[str, str] = {}
    for name, pseudonym in names.items():
        whole = name.strip()
        for variant in (whole, *whole.split()):
            if variant and (len(variant) >= 2 or variant == whole):
                variants.setdefault(variant.casefold(), pseudonym)
    if not variants:
        return None, variants
    alternatives = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alternatives})('?s)?(?!\w)", re.IGNORECASE), variants


def pseudonymise(log: TableLog, conference_id: str | None = None) -> TableLog:
    """The log with every player's name replaced by "Spiller N" (N: join order), in the seats and in the chat.

    Names typed in chat or announcements — the whole name or any word of it, in any case, with a genitive
    s — become the same pseudonym. The rewritten events are written at today's versions.
    """
    numbers: dict[str, int] = {}
    names: dict[str, str] = {}
    for event in log.events:
        if isinstance(event, PlayerJoined):
            number = numbers.setdefault(event.player_id, len(numbers) + 1)
            names.setdefault(event.name, PSEUDONYM.format(number=number))
    pattern, by_variant = _name_pattern(names)

    def scrub(text: str) -> str:
        if pattern is None:
            return text
        return pattern.sub(lambda m: by_variant.get(m.group(1).casefold(), "Spiller") + (m.group(2) or ""), text)

    lines: list[EventLine] = []
    for line, event in zip(log.lines, log.events, strict=True):
        rewritten: Event = event
        if isinstance(event, PlayerJoined):
            rewritten = event.model_copy(update={"name": PSEUDONYM.format(number=numbers[event.player_id])})
        elif isinstance(event, MessagePosted | AnnouncementMade):
            rewritten = event.model_copy(update={"text": scrub(event.text)})
        elif isinstance(event, GameCreated):
            rewritten = event.model_copy(update={"table_name": scrub(event.table_name)})
        lines.append(event_line(line.seq, line.at, rewritten))
    info = log.header.table
    return build_table_log(
        deck=log.deck,
        table_id=info.table_id,
        table_name=scrub(info.table_name),
        lines=lines,
        raaderum_version=log.header.raaderum_version,
        conference_id=conference_id if conference_id is not None else info.conference_id,
        pseudonymised=True,
    )


def scrub_names(text: str, logs: Iterable[TableLog]) -> str:
    """Any player name of these logs in `text` replaced (for a conference's name in a pseudonymised export)."""
    names: dict[str, str] = {}
    for log in logs:
        for event in log.events:
            if isinstance(event, PlayerJoined):
                names.setdefault(event.name, "…")
    pattern, _ = _name_pattern(names)
    return pattern.sub("…", text) if pattern is not None else text
