-- Foreign keys of `messages` that `migrator run` drops for a bulk copy (per-row foreign-key checks
-- cost about 85% of a COPY into messages) and re-creates, validated once, when the copy ends. The
-- drop and the rows here are one transaction, and so are the re-creation and their removal: a row
-- here always means "this constraint is missing right now". A killed run leaves them here; the
-- next `migrator run` re-creates them, and `migrator verify` fails while any is missing.
CREATE TABLE migrator_suspended_constraints (
    table_name      text NOT NULL,
    constraint_name text NOT NULL,
    definition      text NOT NULL,
    suspended_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, constraint_name)
);
