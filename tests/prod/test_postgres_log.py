"""PostgreSQL's own log holds no personal data when a statement fails (issue #21): psycopg2 sends
values inline, and by default the server logs the failing statement and the key of a violated
unique index (``DETAIL: Key (sender_id)=(wx:<OpenID>) already exists``)."""
import psycopg2
import pytest

pytestmark = pytest.mark.prod


def test_a_failing_statement_logs_neither_its_values_nor_the_key(pg_server):
    openid, phone = "oPgLogTest0123456789abcdefgh", "13912345678"
    conn = psycopg2.connect(host="127.0.0.1", port=pg_server.port, user="postgres",
                            password=pg_server.password, dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE tickets (sender_id text PRIMARY KEY, text text)")
            cur.execute("INSERT INTO tickets VALUES (%s, %s)", (f"wx:{openid}", phone))
            with pytest.raises(psycopg2.errors.UniqueViolation):
                cur.execute("INSERT INTO tickets VALUES (%s, %s)", (f"wx:{openid}", phone))
            with pytest.raises(psycopg2.errors.CheckViolation):
                cur.execute("ALTER TABLE tickets ADD CONSTRAINT short CHECK (length(text) < 5)")
    finally:
        conn.close()
    log = pg_server.datadir.parent / f"{pg_server.datadir.name}.log"
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "duplicate key" in text  # the errors are logged ...
    assert openid not in text and phone not in text  # ... without the values
