-- Log readers (projection steps) declare themselves so that their writing
-- transactions do not hold back the reading horizon (see
-- commands/src/store/horizon.rs). That is only safe if a declared
-- transaction can never append an event: the database refuses it.
--
-- A statement-level trigger whose WHEN reads one setting: the function is
-- not even called for an ordinary writer's INSERT.
CREATE FUNCTION events_refuse_log_readers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a transaction declared a log reader cannot append events'
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER events_not_from_log_readers
    BEFORE INSERT ON events
    FOR EACH STATEMENT
    WHEN (current_setting('early_risk.log_reader', true) = 'on')
    EXECUTE FUNCTION events_refuse_log_readers();
