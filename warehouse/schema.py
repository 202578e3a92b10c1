"""The warehouse schema as an ordered list of migrations.

A warehouse records the version it was last migrated to in `schema_version`;
opening it applies every later migration in one transaction, so a file made by
an older release opens in a newer one without losing anything. Migrations are
append-only: never edit one that has shipped, add the next.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "events, imports, rejects and the activity catalog",
        """
        CREATE TABLE imports (
            id            BIGINT PRIMARY KEY,
            file_name     VARCHAR NOT NULL,
            sha256        VARCHAR NOT NULL,
            format        VARCHAR NOT NULL,
            mapping       JSON,
            rows_read     BIGINT NOT NULL,
            stored        BIGINT NOT NULL,
            duplicates    BIGINT NOT NULL,
            rejected      BIGINT NOT NULL,
            imported_at   TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE events (
            event_id    BIGINT NOT NULL,
            offering    VARCHAR NOT NULL,
            case_id     VARCHAR NOT NULL,
            activity    VARCHAR NOT NULL,
            start       TIMESTAMPTZ,
            "end"       TIMESTAMPTZ NOT NULL,
            resource    VARCHAR,
            attributes  JSON,
            import_id   BIGINT NOT NULL,
            source_row  BIGINT
        );
        CREATE TABLE rejects (
            import_id   BIGINT NOT NULL,
            source_row  BIGINT,
            reason      VARCHAR NOT NULL,
            raw         JSON
        );
        CREATE TABLE activities (
            offering          VARCHAR NOT NULL,
            activity          VARCHAR NOT NULL,
            value_class       VARCHAR NOT NULL DEFAULT 'unclassified',
            standard_minutes  DOUBLE,
            is_end_activity   BOOLEAN,
            display_order     INTEGER,
            PRIMARY KEY (offering, activity)
        );
        """,
    ),
    (
        2,
        "status kinds in the catalog, import options and undo, the demo flag",
        """
        ALTER TABLE activities ADD COLUMN kind VARCHAR DEFAULT 'work';
        UPDATE activities SET kind = 'work' WHERE kind IS NULL;
        ALTER TABLE imports ADD COLUMN options JSON;
        ALTER TABLE imports ADD COLUMN offerings JSON;
        ALTER TABLE imports ADD COLUMN undone_at TIMESTAMPTZ;
        CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR);
        """,
    ),
    (
        3,
        "experiments: a change to one offering, its before/after windows and its status",
        """
        CREATE TABLE experiments (
            id             BIGINT PRIMARY KEY,
            name           VARCHAR NOT NULL,
            offering       VARCHAR NOT NULL,
            changed_at     TIMESTAMPTZ NOT NULL,
            what_changed   VARCHAR NOT NULL DEFAULT '',
            hypothesis     VARCHAR NOT NULL DEFAULT '',
            before_days    INTEGER NOT NULL DEFAULT 14,
            after_days     INTEGER NOT NULL DEFAULT 14,
            status         VARCHAR NOT NULL DEFAULT 'running',
            is_demo        BOOLEAN NOT NULL DEFAULT false,
            created_at     TIMESTAMPTZ NOT NULL,
            updated_at     TIMESTAMPTZ NOT NULL
        );
        """,
    ),
    (
        4,
        "the demo flag moves from a settings row onto the imports",
        """
        ALTER TABLE imports ADD COLUMN is_demo BOOLEAN DEFAULT false;
        UPDATE imports SET is_demo = (id IN (
            SELECT unnest(CAST(value AS BIGINT[])) FROM settings WHERE key = 'demo_import_ids'
        ));
        DELETE FROM settings WHERE key = 'demo_import_ids';
        """,
    ),
    (
        5,
        "open items: the status each unfinished item of a status history is in now",
        """
        CREATE TABLE open_items (
            offering    VARCHAR NOT NULL,
            case_id     VARCHAR NOT NULL,
            activity    VARCHAR NOT NULL,
            entered     TIMESTAMPTZ,
            resource    VARCHAR,
            attributes  JSON,
            import_id   BIGINT NOT NULL,
            source_row  BIGINT
        );
        """,
    ),
    (
        6,
        "the audit trail: every change, who made it and when; who ran each import",
        """
        CREATE TABLE audit (
            id      BIGINT PRIMARY KEY,
            at_time TIMESTAMPTZ NOT NULL,
            actor   VARCHAR NOT NULL,
            role    VARCHAR NOT NULL,
            action  VARCHAR NOT NULL,
            target  VARCHAR NOT NULL DEFAULT '',
            detail  JSON
        );
        ALTER TABLE imports ADD COLUMN imported_by VARCHAR;
        """,
    ),
    (
        7,
        "statuses classified automatically from their names, until a person checks them",
        """
        ALTER TABLE activities ADD COLUMN auto_kind BOOLEAN DEFAULT false;
        UPDATE activities SET auto_kind = false;
        """,
    ),
    (
        8,
        "verdicts on findings: confirmed or dismissed, by whom, when, and on what evidence",
        """
        CREATE TABLE finding_verdicts (
            finding_id   VARCHAR PRIMARY KEY,
            offering     VARCHAR NOT NULL,
            kind         VARCHAR NOT NULL,
            step         VARCHAR,
            headline     VARCHAR NOT NULL DEFAULT '',
            verdict      VARCHAR NOT NULL,
            note         VARCHAR NOT NULL DEFAULT '',
            fingerprint  JSON NOT NULL,
            decided_by   VARCHAR NOT NULL,
            decided_at   TIMESTAMPTZ NOT NULL
        );
        """,
    ),
    (
        9,
        "future states: each saved version of an offering's agreed stream; experiments name one",
        """
        CREATE TABLE future_states (
            id          BIGINT PRIMARY KEY,
            offering    VARCHAR NOT NULL,
            name        VARCHAR NOT NULL,
            version     INTEGER NOT NULL,
            definition  JSON NOT NULL,
            saved_at    TIMESTAMPTZ NOT NULL,
            saved_by    VARCHAR NOT NULL,
            UNIQUE (offering, name, version)
        );
        ALTER TABLE experiments ADD COLUMN future_state_id BIGINT;
        """,
    ),
    (
        10,
        "working-time calendars: one per offering, on or off",
        """
        CREATE TABLE calendars (
            offering    VARCHAR PRIMARY KEY,
            definition  JSON NOT NULL,
            is_on       BOOLEAN NOT NULL DEFAULT false,
            saved_at    TIMESTAMPTZ NOT NULL,
            saved_by    VARCHAR NOT NULL
        );
        """,
    ),
    (
        11,
        "roles set on the Data page, by e-mail address",
        """
        CREATE TABLE roles (
            email       VARCHAR PRIMARY KEY,
            role        VARCHAR NOT NULL,
            changed_at  TIMESTAMPTZ NOT NULL,
            changed_by  VARCHAR NOT NULL
        );
        """,
    ),
    (
        12,
        "experiment ids are never given twice, even after a delete",
        """
        CREATE TABLE id_counters (name VARCHAR PRIMARY KEY, last_id BIGINT NOT NULL);
        INSERT INTO id_counters
        SELECT 'experiment', greatest(
            (SELECT coalesce(max(id), 0) FROM experiments),
            (SELECT coalesce(max(TRY_CAST(regexp_extract(target, '#([0-9]+)', 1) AS BIGINT)), 0)
             FROM audit WHERE action IN ('edit experiment', 'delete experiment')));
        """,
    ),
    (
        13,
        "which offerings' derived cases are stored, and by which version of the definitions",
        """
        CREATE TABLE derived_state (
            offering    VARCHAR PRIMARY KEY,
            version     VARCHAR NOT NULL,
            derived_at  TIMESTAMPTZ NOT NULL,
            instances   BIGINT NOT NULL,
            cases       BIGINT NOT NULL
        );
        """,
    ),
    (
        14,
        "each offering's headline report and Stream health row, stored with its derived cases",
        """
        CREATE TABLE derived_reports (
            offering    VARCHAR PRIMARY KEY,
            version     VARCHAR NOT NULL,
            report      VARCHAR,
            pce_basis   VARCHAR,
            health      BLOB NOT NULL
        );
        """,
    ),
    (
        15,
        "each offering's findings, kept for the stored derivation they were found in",
        """
        CREATE TABLE derived_findings (
            offering    VARCHAR PRIMARY KEY,
            version     VARCHAR NOT NULL,
            derived_at  TIMESTAMPTZ NOT NULL,
            changes     VARCHAR NOT NULL,
            findings    VARCHAR NOT NULL
        );
        """,
    ),
    (
        16,
        "the figures of each offering's value stream map and Waits page, stored with its report",
        """
        CREATE TABLE derived_figures (
            offering    VARCHAR NOT NULL,
            name        VARCHAR NOT NULL,
            figure      BLOB NOT NULL,
            rest        VARCHAR,
            PRIMARY KEY (offering, name)
        );
        """,
    ),
    (
        17,
        "what lies behind each kept finding: its cases and its chart's frame",
        """
        CREATE TABLE derived_finding_frames (
            offering    VARCHAR NOT NULL,
            finding_id  VARCHAR NOT NULL,
            cases       BLOB NOT NULL,
            chart       BLOB NOT NULL,
            PRIMARY KEY (offering, finding_id)
        );
        """,
    ),
    (
        18,
        "how many rows and cases lie behind each kept finding, read without its cases",
        """
        ALTER TABLE derived_finding_frames ADD COLUMN case_rows BIGINT;
        ALTER TABLE derived_finding_frames ADD COLUMN case_count BIGINT;
        """,
    ),
    (
        19,
        "the stored figures and finding frames each found by a key of one column, read alone",
        # A key of two columns is checked by scanning them, and DuckDB then fetched the
        # blobs of every row of the table with the one asked for (at fifty million events
        # 240 MB read and 0.4-0.7 s for one figure of 13 MB); a key of one column is
        # looked up in its index (warehouse.schema.row_key). The blobs are Parquet files,
        # compressed already: compressed again with ZSTD, a row is read by decompressing
        # every row before it (242 MB for the last figure at fifty million events, 15 MB
        # uncompressed).
        """
        CREATE TABLE derived_figures_19 (
            figure_key  VARCHAR PRIMARY KEY,
            offering    VARCHAR NOT NULL,
            name        VARCHAR NOT NULL,
            figure      BLOB NOT NULL USING COMPRESSION uncompressed,
            rest        VARCHAR
        );
        INSERT INTO derived_figures_19
            SELECT name || chr(31) || offering, offering, name, figure, rest
            FROM derived_figures;
        DROP TABLE derived_figures;
        ALTER TABLE derived_figures_19 RENAME TO derived_figures;
        CREATE TABLE derived_finding_frames_19 (
            frame_key   VARCHAR PRIMARY KEY,
            offering    VARCHAR NOT NULL,
            finding_id  VARCHAR NOT NULL,
            cases       BLOB NOT NULL USING COMPRESSION uncompressed,
            chart       BLOB NOT NULL USING COMPRESSION uncompressed,
            case_rows   BIGINT,
            case_count  BIGINT
        );
        INSERT INTO derived_finding_frames_19
            SELECT finding_id || chr(31) || offering, offering, finding_id, cases, chart,
                case_rows, case_count
            FROM derived_finding_frames;
        DROP TABLE derived_finding_frames;
        ALTER TABLE derived_finding_frames_19 RENAME TO derived_finding_frames;
        """,
    ),
]

LATEST_VERSION = MIGRATIONS[-1][0]


def row_key(name: str, offering: str) -> str:
    """The key of one stored figure (`name`) or finding frame (its finding's id) of an
    offering: a key of one column, which DuckDB looks up in its index rather than fetch
    the blobs of every row (migration 19). The name, ours, never holds the separator."""
    return f"{name}\x1f{offering}"
