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

-- The OpenAPI document: one operation per route, with its scope, parameters,
-- body fields, success response and the error responses every route can give.
CREATE FUNCTION @extschema@.openapi()
RETURNS json
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH route AS (
    SELECT r.method, r.path, r.scope, r.function, r.response, r.success_status,
           r.summary, r.args,
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
                       WHEN 'page' THEN
                           '{"description": "One page of results.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}'::jsonb
                       ELSE
                           '{"description": "The result.", "content": {"application/json": {"schema": {}}}}'::jsonb
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
    'components', '{
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
    }'::jsonb)::json
$$;
COMMENT ON FUNCTION @extschema@.openapi() IS
'the OpenAPI 3.1 document of the REST API, generated from signals.routes() and the domain functions'' comments';
