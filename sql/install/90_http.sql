-- The REST API inside the database: one call per HTTP request.  Any HTTP front
-- (signals-gateway, PostgREST through an RPC, ...) serves the same API.

CREATE TYPE @extschema@.http_response AS (
    status   integer,
    headers  text,
    body     text
);
COMMENT ON TYPE @extschema@.http_response IS
'an HTTP response: status, header lines ("Name: value", one per line) and body (NULL for none)';

-- Text that can be written but never shown: http_handle takes the
-- Authorization header as one, so that no log prints it (see src/http_secret.c).
CREATE TYPE @extschema@.secret;

CREATE FUNCTION @extschema@.secret_in(cstring)
RETURNS @extschema@.secret
AS 'MODULE_PATHNAME', 'signals_secret_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.secret_in(cstring) IS
'input function of signals.secret: any text';

CREATE FUNCTION @extschema@.secret_out(@extschema@.secret)
RETURNS cstring
AS 'MODULE_PATHNAME', 'signals_secret_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.secret_out(@extschema@.secret) IS
'output function of signals.secret: always "(redacted)"';

CREATE FUNCTION @extschema@.secret_recv(internal)
RETURNS @extschema@.secret
AS 'MODULE_PATHNAME', 'signals_secret_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.secret_recv(internal) IS
'binary input function of signals.secret: the bytes, valid in the server encoding';

CREATE FUNCTION @extschema@.secret_send(@extschema@.secret)
RETURNS bytea
AS 'MODULE_PATHNAME', 'signals_secret_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.secret_send(@extschema@.secret) IS
'binary output function of signals.secret: always "(redacted)"';

CREATE TYPE @extschema@.secret (
    INPUT = @extschema@.secret_in,
    OUTPUT = @extschema@.secret_out,
    RECEIVE = @extschema@.secret_recv,
    SEND = @extschema@.secret_send,
    LIKE = pg_catalog.text
);
COMMENT ON TYPE @extschema@.secret IS
'text that never shows: output, binary output and logged parameters print "(redacted)"; there is no cast back to text';

-- Text converts as it is (same representation), so a text expression can be
-- passed where a secret is expected.
CREATE CAST (pg_catalog.text AS @extschema@.secret) WITHOUT FUNCTION AS IMPLICIT;
COMMENT ON CAST (pg_catalog.text AS @extschema@.secret) IS
'any text is a secret (the reverse has no cast: the value is never shown)';

-- Serve one API request.  Runs as the extension owner: tenancy comes from the
-- API key in the authorization argument, not from the calling role.
CREATE FUNCTION @extschema@.http_handle(
    method text,
    path text,
    query text DEFAULT '',
    headers jsonb DEFAULT '{}',
    body bytea DEFAULT NULL,
    authorization @extschema@.secret DEFAULT NULL)
RETURNS @extschema@.http_response
AS 'MODULE_PATHNAME', 'signals_http_handle_0_2_0'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD';
COMMENT ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, bytea, @extschema@.secret) IS
'serve one REST API request: method, path (percent-encoded), raw query string, request headers as a JSON object (without Authorization), raw body, and the Authorization header''s value ("Bearer <token>"), which no log shows; returns status, header lines and body';

-- The same with a text body, for calls typed by hand in psql.
CREATE FUNCTION @extschema@.http_handle(
    method text,
    path text,
    query text,
    headers jsonb,
    body text,
    authorization @extschema@.secret DEFAULT NULL)
RETURNS @extschema@.http_response
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM @extschema@.http_handle($1, $2, $3, $4, pg_catalog.convert_to($5, 'UTF8'), $6)
$$;
COMMENT ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, text, @extschema@.secret) IS
'serve one REST API request with a text body (see the bytea variant)';

-- The route table, for documentation and the OpenAPI document.
CREATE FUNCTION @extschema@.routes(
    OUT method text,
    OUT path text,
    OUT scope text,
    OUT function text,
    OUT response text,
    OUT success_status integer,
    OUT summary text,
    OUT args json,
    OUT result text,
    OUT conflict text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'signals_routes_list_0_2_0'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.routes() IS
'the REST API''s routes: method, path, required scope, the domain function serving it, response kind, arguments, the signals.api_* type of the result ("[]" for an array of it), and when the route answers 409 (NULL: never)';
