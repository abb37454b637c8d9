-- Installing the extension sends no notification (Citus runs CREATE
-- EXTENSION inside two-phase commit, where NOTIFY is refused): a session
-- listening on the channels the install script could use hears nothing.
SELECT current_database() AS home \gset
CREATE DATABASE regress_install_notify;
\c regress_install_notify
SET client_min_messages = warning;
LISTEN pgrst;
LISTEN signals_candidates;
CREATE EXTENSION signals CASCADE;
SELECT count(*) AS api_functions FROM pg_proc WHERE pronamespace = 'signals_api'::regnamespace;
\c :home
DROP DATABASE regress_install_notify;
