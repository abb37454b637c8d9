-- Support functions in C that the schema and the domain functions build on.

-- Time-ordered UUID (version 7 layout): inserts stay at the right edge of indexes.
CREATE FUNCTION @extschema@.uuid_v7()
RETURNS uuid
AS 'MODULE_PATHNAME', 'signals_uuid_v7'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uuid_v7() IS
'a new UUID in the version 7 layout: 48 bits of Unix milliseconds, then random bits';

-- Timestamps as the API prints them: UTC, microseconds, a trailing Z.
CREATE FUNCTION @extschema@.iso_time(timestamptz)
RETURNS text
AS 'MODULE_PATHNAME', 'signals_iso_time'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.iso_time(timestamptz) IS
'the timestamp in ISO 8601, UTC, with microseconds and a trailing Z, independent of TimeZone and DateStyle';

-- A random API token with the given prefix; only its hash is ever stored.
CREATE FUNCTION @extschema@.new_token(prefix text)
RETURNS text
AS 'MODULE_PATHNAME', 'signals_new_token'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.new_token(text) IS
'a new random token: the prefix followed by 43 base62 characters (256 bits of entropy)';
REVOKE ALL ON FUNCTION @extschema@.new_token(text) FROM PUBLIC;
