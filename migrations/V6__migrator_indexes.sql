-- Secondary indexes of `messages` that `migrator run` drops for a bulk copy and builds again when
-- the copy ends: one sorted build per partition costs far less than five B-tree insertions per
-- copied row. Same bookkeeping as migrator_suspended_constraints (V5): the drop and the rows here
-- are one transaction, and so are each rebuild and the removal of its row, so a row here always
-- means "this index is missing right now". A killed run leaves them here; the next `migrator run`
-- builds them (or keeps them dropped for another bulk copy), and `migrator verify` fails while any
-- is missing. `definition` is the CREATE INDEX statement for the partitioned table.
CREATE TABLE migrator_suspended_indexes (
    table_name   text NOT NULL,
    index_name   text NOT NULL,
    definition   text NOT NULL,
    suspended_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, index_name)
);
