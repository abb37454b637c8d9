-- signals 0.2.0: install script, assembled by the Makefile from sql/install/*.sql
-- in file-name order.  Everything is schema-qualified and every function pins
-- search_path, so objects planted in other schemas are never picked up.

\echo Use "CREATE EXTENSION signals" to load this file. \quit
