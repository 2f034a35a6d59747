-- Runs once when the compose PostgreSQL volume is created: the tracker store's database.
-- (The account database `fenqi` is POSTGRES_DB; its tables come from `alembic upgrade head`.)
CREATE DATABASE fenqi_tracker OWNER fenqi ENCODING 'UTF8';
-- Chat history commits without waiting for the WAL flush (docs/deploy.md, "synchronous_commit").
ALTER DATABASE fenqi_tracker SET synchronous_commit = off;
