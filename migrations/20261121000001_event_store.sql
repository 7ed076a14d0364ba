-- The event store: one append-only table for every stream, in commit order.
--
-- `sequence` is per stream and gives optimistic concurrency (the primary key
-- turns a race into a conflict the command bus retries). `global_position` is
-- handed out at insert time, *before* commit, so readers must follow
-- `(tx_id, global_position)` and only read transactions older than every
-- running one (see commands/src/store/log.rs).
CREATE TABLE events (
    aggregate_type  text        NOT NULL,
    aggregate_id    text        NOT NULL,
    sequence        bigint      NOT NULL CHECK (sequence > 0),
    event_type      text        NOT NULL,
    event_version   text        NOT NULL,
    payload         jsonb       NOT NULL,
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- Unique per stream for facts that carry an id of their own (transaction
    -- id, payment id, statement period): a second copy cannot be stored even
    -- by a race.
    dedup_key       text,
    -- sha256 over this event's canonical bytes and the previous event's hash
    -- on the same stream: editing stored history breaks the chain.
    hash            bytea       NOT NULL,
    global_position bigint      GENERATED ALWAYS AS IDENTITY,
    tx_id           xid8        NOT NULL DEFAULT pg_current_xact_id(),
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE UNIQUE INDEX events_global_position ON events (global_position);
CREATE INDEX events_commit_order ON events (tx_id, global_position);
CREATE UNIQUE INDEX events_dedup ON events (aggregate_type, aggregate_id, dedup_key)
    WHERE dedup_key IS NOT NULL;

-- History is never changed in place.
CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_append_only();

-- Readers are woken by `NOTIFY events_appended`, sent by the writer process
-- after its commits (coalesced, from one connection: see
-- commands/src/notifier.rs). Not from a trigger: a transaction that NOTIFYs
-- takes a database-wide lock at commit, which would serialise every writer's
-- commit and defeat group commit.

-- Snapshots of aggregate state, so loading a stream reads at most a few dozen
-- events whatever its length. A snapshot is a cache: deleting it loses nothing.
CREATE TABLE snapshots (
    aggregate_type   text    NOT NULL,
    aggregate_id     text    NOT NULL,
    snapshot_version integer NOT NULL,
    sequence         bigint  NOT NULL,
    last_hash        bytea   NOT NULL,
    payload          jsonb   NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);
