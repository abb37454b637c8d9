-- The library this schema runs with.  C functions whose work depends on the
-- schema are declared with symbols that carry the schema's version (see
-- src/versions.c), so that a library and a schema of different versions
-- refuse to work together with a message naming the fix.

-- The version of the loaded library (compare with pg_extension.extversion).
CREATE FUNCTION @extschema@.library_version()
RETURNS text
AS 'MODULE_PATHNAME', 'signals_library_version'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.library_version() IS
'the version of the signals library loaded in this session; it serves only a schema of the same version (ALTER EXTENSION signals UPDATE after installing a new one)';
