-- The REST API inside the database: one call per HTTP request.  Any HTTP front
-- (signals-gateway, PostgREST through an RPC, ...) serves the same API.

CREATE TYPE @extschema@.http_response AS (
    status   integer,
    headers  text,
    body     text
);
COMMENT ON TYPE @extschema@.http_response IS
'an HTTP response: status, header lines ("Name: value", one per line) and body (NULL for none)';

-- Serve one API request.  Runs as the extension owner: tenancy comes from the
-- API key in the Authorization header, not from the calling role.
CREATE FUNCTION @extschema@.http_handle(
    method text,
    path text,
    query text DEFAULT '',
    headers jsonb DEFAULT '{}',
    body bytea DEFAULT NULL)
RETURNS @extschema@.http_response
AS 'MODULE_PATHNAME', 'signals_http_handle_0_2_0'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD';
COMMENT ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, bytea) IS
'serve one REST API request: method, path (percent-encoded), raw query string, request headers as a JSON object, raw body; returns status, header lines and body';

-- The same with a text body, for calls typed by hand in psql.
CREATE FUNCTION @extschema@.http_handle(
    method text,
    path text,
    query text,
    headers jsonb,
    body text)
RETURNS @extschema@.http_response
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM @extschema@.http_handle($1, $2, $3, $4, pg_catalog.convert_to($5, 'UTF8'))
$$;
COMMENT ON FUNCTION @extschema@.http_handle(text, text, text, jsonb, text) IS
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
