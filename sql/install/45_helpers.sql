-- Small helpers shared by the domain functions.

-- A LIKE pattern matching the text anywhere, with %, _ and \ taken literally.
-- This and is_blank have no SET clause so that they inline; their bodies are
-- fully qualified.
CREATE FUNCTION @extschema@.contains_pattern(needle text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT '%' OPERATOR(pg_catalog.||)
           pg_catalog.regexp_replace(needle, '([\\%_])', '\\\1', 'g')
           OPERATOR(pg_catalog.||) '%'
$$;
COMMENT ON FUNCTION @extschema@.contains_pattern(text) IS
'a LIKE/ILIKE pattern that matches the given text as a substring, with wildcards escaped';

-- Whether a text is empty once whitespace is trimmed.
CREATE FUNCTION @extschema@.is_blank(value text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT pg_catalog.btrim(value, E' \t\n\r\x0B\f') OPERATOR(pg_catalog.=) ''
$$;
COMMENT ON FUNCTION @extschema@.is_blank(text) IS
'true when the text is empty or only whitespace';

-- Check a required text field: present, not blank, at most max_chars characters.
CREATE FUNCTION @extschema@.check_text_field(field text, value text, max_chars integer)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION '% is required', field
            USING ERRCODE = 'not_null_violation', COLUMN = field;
    END IF;
    IF @extschema@.is_blank(value) THEN
        RAISE EXCEPTION '% may not be blank', field
            USING ERRCODE = 'zero_length_character_string', COLUMN = field;
    END IF;
    n := pg_catalog.length(value);
    IF n OPERATOR(pg_catalog.>) max_chars THEN
        RAISE EXCEPTION '% has % characters, max is %', field, n, max_chars
            USING ERRCODE = 'string_data_right_truncation', COLUMN = field;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.check_text_field(text, text, integer) IS
'raise the API''s validation error unless value is present, not blank and at most max_chars characters';
