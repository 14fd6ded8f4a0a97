"""PostgreSQL ingest in one statement: the batch's JSON goes to the database once, and data-modifying
CTEs store the new events and upsert every snapshot they carry. The database parses the JSON in C, so
the server process only checks the envelope; that is what lets one night of 200 halls arrive within
minutes. Semantics are exactly those of the portable path (``bulk`` + ``materialise``): keyed on
(hall, id), a snapshot replaces the stored one only when it comes from a later seq."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from sync.contract import EventType

EVENT_TYPES = [str(t) for t in EventType]


def _entity(table: str, key: str) -> str:
    snap = f"payload->'{key}'"
    return f"""
, u_{table} AS (
  INSERT INTO {table} (hall_id, id, business_date, src_seq, data)
  SELECT DISTINCT ON ({snap}->>'id') %(hall)s, {snap}->>'id', coalesce({snap}->>'business_date', business_date), seq, {snap}
  FROM ins WHERE jsonb_typeof({snap}) = 'object' AND {snap} ? 'id'
  ORDER BY {snap}->>'id', seq DESC
  ON CONFLICT (hall_id, id) DO UPDATE
  SET business_date = excluded.business_date, src_seq = excluded.src_seq, data = excluded.data
  WHERE {table}.src_seq < excluded.src_seq)"""


_SNAPSHOT_HALLS = " OR ".join(
    f"coalesce(payload->'{k}'->>'hall_id', %(hall)s) <> %(hall)s"
    for k in ("ticket", "handling", "rating", "window", "day_close", "ignored_press")
)

SQL = (
    r"""
WITH doc AS (SELECT %(body)s::jsonb AS j
), b AS (
  SELECT x.* FROM doc, jsonb_to_recordset(CASE WHEN jsonb_typeof(doc.j->'events') = 'array'
                                              THEN doc.j->'events' ELSE '[]'::jsonb END)
  AS x(event_id text, seq bigint, kiosk_id text, hall_id text, type text, occurred_at text,
       business_date text, payload jsonb)
), chk AS (
  -- (a bounded regex such as {1,64} costs PostgreSQL ~13 µs per row: the length is checked apart)
  SELECT count(*) AS n,
    count(*) FILTER (WHERE kiosk_id IS DISTINCT FROM %(kiosk)s OR hall_id IS DISTINCT FROM %(hall)s) AS wrong_owner,
    count(*) FILTER (WHERE event_id IS NULL OR length(event_id) NOT BETWEEN 1 AND 64
                     OR event_id !~ '^[-A-Za-z0-9._:]+$' OR seq IS NULL OR seq < 1
                     OR type IS NULL OR NOT (type = ANY(%(types)s)) OR occurred_at IS NULL
                     OR length(occurred_at) > 40 OR business_date IS NULL
                     OR business_date !~ '^\d{4}-\d{2}-\d{2}$'
                     OR jsonb_typeof(payload) IS DISTINCT FROM 'object') AS malformed,
    count(*) FILTER (WHERE """
    + _SNAPSHOT_HALLS
    + r""" OR EXISTS (
        SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(payload->'followups') = 'array'
                                                THEN payload->'followups' ELSE '[]'::jsonb END) f
        WHERE coalesce(f->>'hall_id', %(hall)s) <> %(hall)s)) AS wrong_hall
  FROM b
), ok AS (
  SELECT n BETWEEN 1 AND %(max)s AND wrong_owner = 0 AND malformed = 0 AND wrong_hall = 0
         AS good FROM chk
), stored AS (
  -- a range scan of the batch's own seqs, never the kiosk's whole history
  SELECT b.seq, e.event_id <> b.event_id AS other,
    e.event_id = b.event_id AND (e.type, e.occurred_at, e.business_date, e.payload)
      IS DISTINCT FROM (b.type, b.occurred_at, b.business_date, b.payload) AS changed
  FROM b JOIN events e ON e.seq = b.seq
  WHERE e.kiosk_id = %(kiosk)s AND e.seq BETWEEN (SELECT min(seq) FROM b) AND (SELECT max(seq) FROM b)
), ins AS (
  INSERT INTO events (kiosk_id, seq, event_id, hall_id, type, occurred_at, business_date, payload, received_at)
  SELECT %(kiosk)s, seq, event_id, %(hall)s, type, occurred_at, business_date, payload, %(now)s FROM b
  WHERE (SELECT good FROM ok) AND NOT EXISTS (SELECT 1 FROM stored WHERE stored.seq = b.seq)
  ON CONFLICT DO NOTHING
  RETURNING seq, business_date, payload
)"""
    + _entity("tickets", "ticket")
    + _entity("handlings", "handling")
    + _entity("ratings", "rating")
    + """
, fu AS (
  SELECT f, ins.seq, ins.business_date FROM ins,
  jsonb_array_elements(CASE WHEN jsonb_typeof(ins.payload->'followups') = 'array'
                            THEN ins.payload->'followups' ELSE '[]'::jsonb END) AS f
  WHERE jsonb_typeof(f) = 'object' AND f ? 'id'
), u_followups AS (
  INSERT INTO followups (hall_id, id, business_date, src_seq, data, kind, status, due_date)
  SELECT DISTINCT ON (f->>'id') %(hall)s, f->>'id', coalesce(f->>'business_date', business_date), seq, f,
         coalesce(f->>'kind', ''), coalesce(f->>'status', 'open'), f->>'due_date'
  FROM fu ORDER BY f->>'id', seq DESC
  ON CONFLICT (hall_id, id) DO UPDATE
  SET business_date = excluded.business_date, src_seq = excluded.src_seq, data = excluded.data,
      kind = excluded.kind, status = excluded.status, due_date = excluded.due_date
  WHERE followups.src_seq < excluded.src_seq
), u_windows AS (
  INSERT INTO windows (hall_id, number, status, src_seq)
  SELECT DISTINCT ON (payload->'window'->>'number') %(hall)s, payload->'window'->>'number',
         coalesce(payload->'window'->>'status', ''), seq
  FROM ins WHERE jsonb_typeof(payload->'window') = 'object' AND payload->'window' ? 'number'
  ORDER BY payload->'window'->>'number', seq DESC
  ON CONFLICT (hall_id, number) DO UPDATE SET status = excluded.status, src_seq = excluded.src_seq
  WHERE windows.src_seq < excluded.src_seq
), u_day_closes AS (
  INSERT INTO day_closes (hall_id, business_date, closed_at, src_seq, data)
  SELECT DISTINCT ON (d) %(hall)s, d, coalesce(payload->'day_close'->>'closed_at', ''), seq, payload->'day_close'
  FROM (SELECT *, coalesce(payload->'day_close'->>'business_date', business_date) AS d FROM ins
        WHERE jsonb_typeof(payload->'day_close') = 'object') AS c
  ORDER BY d, seq DESC
  ON CONFLICT (hall_id, business_date) DO UPDATE
  SET closed_at = excluded.closed_at, src_seq = excluded.src_seq, data = excluded.data
  WHERE day_closes.src_seq < excluded.src_seq
), u_ignored AS (
  INSERT INTO ignored_presses (kiosk_id, src_seq, hall_id, business_date, data)
  SELECT %(kiosk)s, seq, %(hall)s, coalesce(payload->'ignored_press'->>'business_date', business_date),
         payload->'ignored_press'
  FROM ins WHERE jsonb_typeof(payload->'ignored_press') = 'object'
  ON CONFLICT DO NOTHING
)
SELECT chk.n, chk.wrong_owner, chk.malformed, chk.wrong_hall,
  (SELECT count(*) FROM ins), (SELECT count(*) FROM stored), (SELECT count(*) FROM stored WHERE other),
  (SELECT count(*) FROM stored WHERE changed),
  (SELECT doc.j->>'device_time' FROM doc), jsonb_typeof((SELECT doc.j FROM doc))
FROM chk"""
)


@dataclass
class PgOutcome:
    events: int
    wrong_owner: int
    malformed: int
    wrong_hall: int
    inserted: int
    already_stored: int
    conflicts: int
    changed: int
    device_time: str | None
    body_kind: str | None


def ingest_body(
    conn: Connection, body: bytes, kiosk_id: str, hall_id: str, now: datetime, max_events: int
) -> PgOutcome:
    """Check, store and materialise a push in one statement. Nothing is written unless every check passes;
    the caller turns the counts into a refusal (and rolls back) or an acknowledgement."""
    params = {
        "body": body.decode("utf-8"),
        "kiosk": kiosk_id,
        "hall": hall_id,
        "now": now,
        "max": max_events,
        "types": EVENT_TYPES,
    }
    row = conn.exec_driver_sql(SQL, params).one()
    return PgOutcome(*row)
