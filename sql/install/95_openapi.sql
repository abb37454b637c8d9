-- The OpenAPI 3.1 document of the REST API, generated from the route table
-- (signals.routes()) and the comments on the domain functions, so that it
-- describes every route there is without a hand-kept list.  The gateway
-- serves it at GET /api/schema/.

-- The JSON Schema of a route argument, from the type name signals.routes() gives.
CREATE FUNCTION @extschema@.openapi_arg_schema(arg_type text, nullable boolean)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN $2 THEN
                    pg_catalog.jsonb_set(s, '{type}',
                                         pg_catalog.jsonb_build_array(s OPERATOR(pg_catalog.->) 'type', 'null'))
                ELSE s END
      FROM (SELECT CASE $1
                       WHEN 'integer' THEN '{"type": "integer"}'
                       WHEN 'boolean' THEN '{"type": "boolean"}'
                       WHEN 'number' THEN '{"type": "number"}'
                       WHEN 'uuid' THEN '{"type": "string", "format": "uuid"}'
                       WHEN 'date-time' THEN '{"type": "string", "format": "date-time"}'
                       WHEN 'object' THEN '{"type": "object"}'
                       WHEN 'array' THEN '{"type": "array"}'
                       WHEN 'array of strings' THEN '{"type": "array", "items": {"type": "string"}}'
                       ELSE '{"type": "string"}'
                   END::jsonb AS s) t
$$;
COMMENT ON FUNCTION @extschema@.openapi_arg_schema(text, boolean) IS
'the JSON Schema (OpenAPI 3.1) of a route argument of the given type, allowing null when nullable';

-- The JSON Schema of a response field, from its column type in a
-- signals.api_* type: nested api_* types become references.
CREATE FUNCTION @extschema@.openapi_field_schema(field name, field_type regtype)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    element regtype := (SELECT t.typelem FROM pg_catalog.pg_type t
                         WHERE t.oid OPERATOR(pg_catalog.=) field_type
                           AND t.typcategory OPERATOR(pg_catalog.=) 'A');
    api_type text := (SELECT t.typname FROM pg_catalog.pg_type t
                       WHERE t.oid OPERATOR(pg_catalog.=) coalesce(element, field_type)
                         AND t.typtype OPERATOR(pg_catalog.=) 'c'
                         AND t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace);
    item jsonb;
BEGIN
    IF api_type IS NOT NULL THEN
        item := pg_catalog.jsonb_build_object('$ref', '#/components/schemas/' OPERATOR(pg_catalog.||) api_type);
    ELSE
        item := CASE coalesce(element, field_type)
            WHEN 'uuid'::regtype THEN '{"type": ["string", "null"], "format": "uuid"}'
            WHEN 'boolean'::regtype THEN '{"type": ["boolean", "null"]}'
            WHEN 'smallint'::regtype THEN '{"type": ["integer", "null"]}'
            WHEN 'integer'::regtype THEN '{"type": ["integer", "null"]}'
            WHEN 'bigint'::regtype THEN '{"type": ["integer", "null"]}'
            WHEN 'real'::regtype THEN '{"type": ["number", "null"]}'
            WHEN 'double precision'::regtype THEN '{"type": ["number", "null"]}'
            WHEN 'json'::regtype THEN '{}'
            WHEN 'jsonb'::regtype THEN '{}'
            ELSE CASE WHEN field OPERATOR(pg_catalog.~~) '%\_at'
                      THEN '{"type": ["string", "null"], "format": "date-time"}'
                      ELSE '{"type": ["string", "null"]}' END
        END::jsonb;
    END IF;
    IF element IS NOT NULL THEN
        RETURN pg_catalog.jsonb_build_object('type', 'array', 'items', item);
    END IF;
    RETURN item;
END
$$;
COMMENT ON FUNCTION @extschema@.openapi_field_schema(name, regtype) IS
'the JSON Schema of a field of a response type: its JSON type, timestamps (*_at) as date-time, nested api_* types as references';

-- The JSON Schemas of the response types (signals.api_*), by type name.
CREATE FUNCTION @extschema@.openapi_response_schemas()
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.jsonb_object_agg(t.typname, (
               SELECT pg_catalog.jsonb_build_object(
                          'type', 'object',
                          'description', pg_catalog.obj_description(t.oid, 'pg_type'),
                          'properties', pg_catalog.jsonb_object_agg(
                              a.attname, @extschema@.openapi_field_schema(a.attname, a.atttypid::regtype)),
                          'required', pg_catalog.jsonb_agg(a.attname ORDER BY a.attnum))
                 FROM pg_catalog.pg_attribute a
                WHERE a.attrelid OPERATOR(pg_catalog.=) t.typrelid
                  AND a.attnum OPERATOR(pg_catalog.>) 0
                  AND NOT a.attisdropped)), '{}')
      FROM pg_catalog.pg_type t
      JOIN pg_catalog.pg_class k ON k.oid OPERATOR(pg_catalog.=) t.typrelid
     WHERE t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
       AND k.relkind OPERATOR(pg_catalog.=) 'c'
       AND t.typname OPERATOR(pg_catalog.~~) 'api\_%'
$$;
COMMENT ON FUNCTION @extschema@.openapi_response_schemas() IS
'the JSON Schemas of the API''s response shapes, one per signals.api_* type';

-- The schema of a route's success body, from its result ("api_x" or "api_x[]").
CREATE FUNCTION @extschema@.openapi_result_schema(response text, result text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN $1 OPERATOR(pg_catalog.=) 'page' THEN pg_catalog.jsonb_build_object('allOf', pg_catalog.jsonb_build_array(
                 '{"$ref": "#/components/schemas/Page"}'::jsonb,
                 pg_catalog.jsonb_build_object('type', 'object', 'properties', pg_catalog.jsonb_build_object(
                     'results', pg_catalog.jsonb_build_object('type', 'array', 'items', ref)))))
        WHEN $2 OPERATOR(pg_catalog.~~) '%[]' THEN pg_catalog.jsonb_build_object('type', 'array', 'items', ref)
        ELSE ref
    END
      FROM (SELECT pg_catalog.jsonb_build_object('$ref', '#/components/schemas/' OPERATOR(pg_catalog.||)
                                                 pg_catalog.rtrim($2, '[]')) AS ref) r
$$;
COMMENT ON FUNCTION @extschema@.openapi_result_schema(text, text) IS
'the JSON Schema of a route''s success body: its result type, an array of it, or a page of it';

-- The OpenAPI document: one operation per route, with its scope, parameters,
-- body fields, success response, the error responses every route can give,
-- and the 409 of the routes that answer it (signals.routes().conflict).
CREATE FUNCTION @extschema@.openapi()
RETURNS json
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH route AS (
    SELECT r.method, r.path, r.scope, r.function, r.response, r.success_status,
           r.summary, r.args, r.result, r.conflict,
           pg_catalog.lower(r.method) AS verb,
           CASE WHEN pg_catalog.count(*) OVER (PARTITION BY r.function) OPERATOR(pg_catalog.>) 1
                THEN pg_catalog.split_part(r.function, '.', 2) OPERATOR(pg_catalog.||) '_'
                     OPERATOR(pg_catalog.||) pg_catalog.lower(r.method)
                ELSE pg_catalog.split_part(r.function, '.', 2) END AS operation_id,
           pg_catalog.split_part(
               pg_catalog.substr(r.path, pg_catalog.strpos(r.path, '/signals/') OPERATOR(pg_catalog.+) 9),
               '/', 1) AS tag,
           (SELECT pg_catalog.string_agg(pg_catalog.obj_description(p.oid, 'pg_proc'), ' ' ORDER BY p.oid)
              FROM pg_catalog.pg_proc p
              JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
             WHERE n.nspname OPERATOR(pg_catalog.=) pg_catalog.split_part(r.function, '.', 1)
               AND p.proname OPERATOR(pg_catalog.=) pg_catalog.split_part(r.function, '.', 2)) AS comment
      FROM @extschema@.routes() r
),
operation AS (
    SELECT r.path, r.verb,
           pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
               'operationId', r.operation_id,
               'summary', r.summary,
               'description', coalesce(r.comment, r.summary)
                   OPERATOR(pg_catalog.||) E'\n\nRequired API key scope: `'
                   OPERATOR(pg_catalog.||) r.scope OPERATOR(pg_catalog.||) '`.',
               'tags', pg_catalog.jsonb_build_array(r.tag),
               'security', pg_catalog.jsonb_build_array(
                   pg_catalog.jsonb_build_object('PersonalAPIKey', pg_catalog.jsonb_build_array(r.scope))),
               'x-required-scopes', pg_catalog.jsonb_build_array(r.scope),
               'parameters',
               pg_catalog.jsonb_build_array('{"$ref": "#/components/parameters/ProjectId"}'::jsonb)
                   OPERATOR(pg_catalog.||)
               (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(
                           pg_catalog.jsonb_build_object(
                               'name', a.name,
                               'in', a."in",
                               'required', a."in" OPERATOR(pg_catalog.=) 'path',
                               'description', coalesce(a.description,
                                   CASE WHEN a."in" OPERATOR(pg_catalog.=) 'path'
                                        THEN 'The object''s id (a UUID).' END),
                               'schema', @extschema@.openapi_arg_schema(a.type, false)))
                           ORDER BY a.ord), '[]')
                  FROM ROWS FROM (pg_catalog.json_to_recordset(r.args)
                                      AS (name text, "in" text, type text, nullable boolean,
                                          description text))
                       WITH ORDINALITY AS a(name, "in", type, nullable, description, ord)
                 WHERE a."in" OPERATOR(pg_catalog.=) ANY ('{path,query}'::text[])),
               'requestBody',
               (SELECT pg_catalog.jsonb_build_object(
                           'required', false,
                           'content', pg_catalog.jsonb_build_object(
                               'application/json', pg_catalog.jsonb_build_object(
                                   'schema', pg_catalog.jsonb_build_object(
                                       'type', 'object',
                                       'properties', pg_catalog.jsonb_object_agg(
                                           a.name,
                                           @extschema@.openapi_arg_schema(a.type, a.nullable)
                                               OPERATOR(pg_catalog.||)
                                           pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                                               'description', a.description)))))))
                  FROM pg_catalog.json_to_recordset(r.args)
                       AS a(name text, "in" text, type text, nullable boolean, description text)
                 WHERE a."in" OPERATOR(pg_catalog.=) 'body'
                HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0),
               'responses',
               pg_catalog.jsonb_build_object(
                   r.success_status::text,
                   CASE r.response
                       WHEN 'empty' THEN '{"description": "Done; no content."}'::jsonb
                       ELSE pg_catalog.jsonb_build_object(
                           'description', CASE r.response WHEN 'page' THEN 'One page of results.'
                                                          ELSE 'The result.' END,
                           'content', pg_catalog.jsonb_build_object('application/json',
                               pg_catalog.jsonb_build_object('schema',
                                   @extschema@.openapi_result_schema(r.response, r.result))))
                   END,
                   '400', '{"$ref": "#/components/responses/BadRequest"}'::jsonb,
                   '401', '{"$ref": "#/components/responses/Unauthorized"}'::jsonb,
                   '403', '{"$ref": "#/components/responses/Forbidden"}'::jsonb,
                   '404', '{"$ref": "#/components/responses/NotFound"}'::jsonb,
                   '405', '{"$ref": "#/components/responses/MethodNotAllowed"}'::jsonb,
                   '413', '{"$ref": "#/components/responses/PayloadTooLarge"}'::jsonb,
                   '500', '{"$ref": "#/components/responses/ServerError"}'::jsonb,
                   '503', '{"$ref": "#/components/responses/Unavailable"}'::jsonb,
                   '504', '{"$ref": "#/components/responses/Timeout"}'::jsonb,
                   'default', '{"$ref": "#/components/responses/Error"}'::jsonb)
               OPERATOR(pg_catalog.||)
               CASE WHEN r.conflict IS NOT NULL
                    THEN pg_catalog.jsonb_build_object('409', pg_catalog.jsonb_build_object(
                             'description', r.conflict,
                             'content', '{"application/json": {"schema": {"$ref": "#/components/schemas/ConflictError"}}}'::jsonb))
                    ELSE '{}'::jsonb END
               OPERATOR(pg_catalog.||)
               CASE WHEN EXISTS (SELECT FROM pg_catalog.json_array_elements(r.args) e
                                  WHERE (e OPERATOR(pg_catalog.->>) 'in') OPERATOR(pg_catalog.=) 'body')
                    THEN '{"415": {"$ref": "#/components/responses/UnsupportedMediaType"}}'::jsonb
                    ELSE '{}'::jsonb END)) AS op
      FROM route r
),
path AS (
    SELECT o.path, pg_catalog.jsonb_object_agg(o.verb, o.op) AS ops
      FROM operation o
     GROUP BY o.path
)
SELECT pg_catalog.jsonb_build_object(
    'openapi', '3.1.0',
    'info', pg_catalog.jsonb_build_object(
        'title', 'Signals API',
        'version', (SELECT e.extversion FROM pg_catalog.pg_extension e
                     WHERE e.extname OPERATOR(pg_catalog.=) 'signals'),
        'description', 'PostHog''s Signals API, served from PostgreSQL by the signals extension. '
            'Every path is under /api/projects/{project_id}/signals/, with or without a trailing slash. '
            'Errors have the body {"type", "code", "detail", "attr"}.'),
    'security', '[{"PersonalAPIKey": []}]'::jsonb,
    'paths', (SELECT coalesce(pg_catalog.jsonb_object_agg(p.path, p.ops), '{}') FROM path p),
    'components', (SELECT pg_catalog.jsonb_set(c, '{schemas}',
                                               (c OPERATOR(pg_catalog.->) 'schemas') OPERATOR(pg_catalog.||)
                                               @extschema@.openapi_response_schemas())
                     FROM (SELECT '{
        "securitySchemes": {
            "PersonalAPIKey": {
                "type": "http",
                "scheme": "bearer",
                "description": "A personal API key (phx_...) or an internal scout token (phs_...), as \"Authorization: Bearer <token>\". Each operation lists the scope it needs."
            }
        },
        "parameters": {
            "ProjectId": {
                "name": "project_id",
                "in": "path",
                "required": true,
                "description": "The project (team) id, or @current for the key''s only project.",
                "schema": {"type": "string", "pattern": "^([1-9][0-9]*|@current)$"}
            }
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["type", "code", "detail", "attr"],
                "properties": {
                    "type": {"type": "string", "enum": ["validation_error", "authentication_error", "invalid_request", "server_error"]},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                    "attr": {"type": ["string", "null"], "description": "The field at fault, or null."}
                }
            },
            "ConflictError": {
                "description": "The body of a 409: the object''s state does not allow the request; detail says why.",
                "allOf": [
                    {"$ref": "#/components/schemas/Error"},
                    {"type": "object", "properties": {"type": {"const": "invalid_request"}, "code": {"const": "conflict"}}}
                ]
            },
            "Page": {
                "type": "object",
                "required": ["count", "next", "previous", "results"],
                "properties": {
                    "count": {"type": "integer"},
                    "next": {"type": ["string", "null"], "format": "uri", "description": "The next page''s absolute URL."},
                    "previous": {"type": ["string", "null"], "format": "uri", "description": "The previous page''s absolute URL."},
                    "results": {"type": "array", "items": {}}
                }
            }
        },
        "responses": {
            "BadRequest": {"description": "Invalid input (type validation_error).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "Unauthorized": {"description": "No API key, or an unknown or revoked one.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "Forbidden": {"description": "The key lacks the scope, or cannot reach the project.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "NotFound": {"description": "No such object in this project.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "MethodNotAllowed": {"description": "The path does not take this method.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "PayloadTooLarge": {"description": "The request body is too large.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "UnsupportedMediaType": {"description": "The body is not application/json.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "ServerError": {"description": "An unexpected server error.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "Unavailable": {"description": "The database is unavailable; retry after the given delay.", "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "Timeout": {"description": "The request ran longer than the statement timeout.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "Error": {"description": "Any other error.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
    }'::jsonb AS c) fixed))::json
$$;
COMMENT ON FUNCTION @extschema@.openapi() IS
'the OpenAPI 3.1 document of the REST API, generated from signals.routes() and the domain functions'' comments';
