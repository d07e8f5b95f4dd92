-- shadows.sql — run by an ordinary role with CREATE on schema public: plants
-- functions, aggregates and operators named like those the engine uses, many
-- with signatures that beat the built-ins in overload resolution.  Each one
-- records its call (and the role it ran as) in public.shadow_calls, then does
-- the real work.  Used by t02_search_path.sh and t03_install_shadows.sh.
CREATE TABLE public.shadow_calls (shadow text, ran_as text, context text);
GRANT INSERT ON public.shadow_calls TO PUBLIC;
CREATE FUNCTION public.shadow_hit(shadow text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE ctx text;
BEGIN
  GET DIAGNOSTICS ctx = PG_CONTEXT;
  INSERT INTO public.shadow_calls VALUES (shadow, current_user, ctx);
END $$;

-- Functions: name(arguments) -> result, forwarding to pg_catalog.
DO $do$
DECLARE
  f record;
BEGIN
  FOR f IN SELECT * FROM (VALUES
    ('now', '', 'timestamptz', 'pg_catalog.now()'),
    ('clock_timestamp', '', 'timestamptz', 'pg_catalog.clock_timestamp()'),
    ('jsonb_build_object', 'a text, b jsonb', 'jsonb', 'pg_catalog.jsonb_build_object(a, b)'),
    ('jsonb_build_object', 'a text, b text', 'jsonb', 'pg_catalog.jsonb_build_object(a, b)'),
    ('jsonb_build_object', 'a text, b integer', 'jsonb', 'pg_catalog.jsonb_build_object(a, b)'),
    ('jsonb_build_object', 'a text, b timestamptz', 'jsonb', 'pg_catalog.jsonb_build_object(a, b)'),
    ('jsonb_build_object', 'a text, b timestamptz, c text, d timestamptz', 'jsonb',
       'pg_catalog.jsonb_build_object(a, b, c, d)'),
    ('jsonb_build_object', 'a text, b integer, c text, d jsonb', 'jsonb', 'pg_catalog.jsonb_build_object(a, b, c, d)'),
    ('jsonb_build_object', 'a text, b jsonb, c text, d jsonb', 'jsonb', 'pg_catalog.jsonb_build_object(a, b, c, d)'),
    ('jsonb_build_object', 'a text, b jsonb, c text, d jsonb, e text, f jsonb', 'jsonb',
       'pg_catalog.jsonb_build_object(a, b, c, d, e, f)'),
    ('jsonb_build_object', 'a text, b text, c text, d text, e text, f jsonb, g text, h jsonb, i text, j jsonb',
       'jsonb', 'pg_catalog.jsonb_build_object(a, b, c, d, e, f, g, h, i, j)'),
    ('jsonb_build_array', 'a text', 'jsonb', 'pg_catalog.jsonb_build_array(a)'),
    ('jsonb_typeof', 'a jsonb', 'text', 'pg_catalog.jsonb_typeof(a)'),
    ('jsonb_strip_nulls', 'a jsonb', 'jsonb', 'pg_catalog.jsonb_strip_nulls(a)'),
    ('jsonb_set', 'a jsonb, b text[], c jsonb', 'jsonb', 'pg_catalog.jsonb_set(a, b, c)'),
    ('to_jsonb', 'a text[]', 'jsonb', 'pg_catalog.to_jsonb(a)'),
    ('to_jsonb', 'a text', 'jsonb', 'pg_catalog.to_jsonb(a)'),
    ('nextval', 'a text', 'bigint', 'pg_catalog.nextval(a::regclass)'),
    ('format', 'a text, b text', 'text', 'pg_catalog.format(a, b)'),
    ('format', 'a text, b text, c text', 'text', 'pg_catalog.format(a, b, c)'),
    ('format', 'a text, b text, c integer, d text, e text', 'text', 'pg_catalog.format(a, b, c, d, e)'),
    ('concat_ws', 'a text, b text, c text', 'text', 'pg_catalog.concat_ws(a, b, c)'),
    ('cardinality', 'a text[]', 'integer', 'pg_catalog.cardinality(a)'),
    ('regexp_match', 'a text, b text', 'text[]', 'pg_catalog.regexp_match(a, b)'),
    ('make_interval', 'secs double precision', 'interval', 'pg_catalog.make_interval(secs => secs)'),
    ('power', 'a double precision, b integer', 'double precision', 'pg_catalog.power(a, b)'),
    ('pg_notify', 'a text, b text', 'void', 'pg_catalog.pg_notify(a, b)'),
    ('length', 'a text', 'integer', 'pg_catalog.length(a)'),
    ('lower', 'a text', 'text', 'pg_catalog.lower(a)'),
    ('array_length', 'a text[], b integer', 'integer', 'pg_catalog.array_length(a, b)'),
    ('array_append', 'a text[], b text', 'text[]', 'pg_catalog.array_append(a, b)'),
    ('array_position', 'a text[], b text', 'integer', 'pg_catalog.array_position(a, b)'),
    ('current_setting', 'a text', 'text', 'pg_catalog.current_setting(a)'),
    ('set_config', 'a text, b text, c boolean', 'text', 'pg_catalog.set_config(a, b, c)'),
    ('pg_advisory_xact_lock', 'a bigint', 'void', 'pg_catalog.pg_advisory_xact_lock(a)'),
    ('hashtext', 'a text', 'integer', 'pg_catalog.hashtext(a)'),
    ('coalesce', 'a jsonb, b jsonb', 'jsonb', 'pg_catalog.jsonb_strip_nulls(a)'),
    ('nullif', 'a jsonb, b jsonb', 'jsonb', 'a'),
    ('least', 'a double precision, b integer', 'double precision', 'a'),
    ('textcat', 'a text, b text', 'text', 'pg_catalog.textcat(a, b)'),
    ('jsonb_concat', 'a jsonb, b jsonb', 'jsonb', 'pg_catalog.jsonb_concat(a, b)'),
    ('int4', 'a text', 'integer', 'a::pg_catalog.int4'),
    ('text', 'a integer', 'text', 'a::pg_catalog.text')
  ) AS v(name, args, result, body)
  LOOP
    EXECUTE format($f$CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql
                      SET search_path = pg_catalog, pg_temp AS $b$
                      BEGIN PERFORM public.shadow_hit(%L); RETURN %s; END $b$$f$,
                   f.name, f.args, f.result, f.name || '(' || f.args || ')',
                   CASE WHEN f.result = 'void' THEN '' ELSE f.body END);
  END LOOP;
END $do$;

-- Set-returning functions.
CREATE FUNCTION public.jsonb_each(a jsonb, OUT key text, OUT value jsonb) RETURNS SETOF record
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.shadow_hit('jsonb_each(jsonb)'); RETURN QUERY SELECT * FROM pg_catalog.jsonb_each(a); END $$;
CREATE FUNCTION public.jsonb_array_elements_text(a jsonb) RETURNS SETOF text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.shadow_hit('jsonb_array_elements_text(jsonb)');
      RETURN QUERY SELECT * FROM pg_catalog.jsonb_array_elements_text(a); END $$;
CREATE FUNCTION public.unnest(a text[]) RETURNS SETOF text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.shadow_hit('unnest(text[])'); RETURN QUERY SELECT * FROM pg_catalog.unnest(a); END $$;
CREATE FUNCTION public.jsonb_object_keys(a jsonb) RETURNS SETOF text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.shadow_hit('jsonb_object_keys(jsonb)'); RETURN QUERY SELECT * FROM pg_catalog.jsonb_object_keys(a); END $$;

-- Aggregates: the transition function records the call.
CREATE FUNCTION public.shadow_agg_jsonb(s jsonb, k text, v jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.shadow_hit('jsonb_object_agg(text, jsonb)');
      RETURN coalesce(s, '{}') OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(k, v); END $$;
CREATE AGGREGATE public.jsonb_object_agg(text, jsonb) (sfunc = public.shadow_agg_jsonb, stype = jsonb);
CREATE FUNCTION public.shadow_agg_text(s text[], v text) RETURNS text[]
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.shadow_hit('array_agg(text)'); RETURN pg_catalog.array_append(s, v); END $$;
CREATE AGGREGATE public.array_agg(text) (sfunc = public.shadow_agg_text, stype = text[]);
CREATE FUNCTION public.shadow_agg_int(s integer, v integer) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.shadow_hit('max(integer)'); RETURN pg_catalog.int4larger(s, v); END $$;
CREATE AGGREGATE public.max(integer) (sfunc = public.shadow_agg_int, stype = integer);
CREATE FUNCTION public.shadow_agg_bool(s boolean, v boolean) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.shadow_hit('bool_or(boolean)'); RETURN s OR v; END $$;
CREATE AGGREGATE public.bool_or(boolean) (sfunc = public.shadow_agg_bool, stype = boolean);
CREATE FUNCTION public.shadow_agg_count(s bigint, v text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.shadow_hit('count(text)'); RETURN coalesce(s, 0) OPERATOR(pg_catalog.+) 1; END $$;
CREATE AGGREGATE public.count(text) (sfunc = public.shadow_agg_count, stype = bigint);

-- Operators: name(left, right), forwarding to the pg_catalog operator.
DO $do$
DECLARE
  o record;
  i integer := 0;
BEGIN
  FOR o IN SELECT * FROM (VALUES
    ('||', 'text', 'text', 'text'), ('||', 'text', 'integer', 'text'), ('||', 'text', 'bigint', 'text'),
    ('||', 'jsonb', 'jsonb', 'jsonb'), ('||', 'text[]', 'text', 'text[]'), ('||', 'text[]', 'text[]', 'text[]'),
    ('=', 'text', 'text', 'boolean'), ('=', 'jsonb', 'jsonb', 'boolean'), ('=', 'integer', 'integer', 'boolean'),
    ('=', 'bigint', 'bigint', 'boolean'), ('=', 'text[]', 'text[]', 'boolean'),
    ('=', 'oid', 'regclass', 'boolean'), ('=', 'oid', 'regproc', 'boolean'), ('=', 'name', 'name', 'boolean'),
    ('<>', 'text', 'text', 'boolean'), ('<>', 'jsonb', 'jsonb', 'boolean'), ('<>', 'integer', 'integer', 'boolean'),
    ('?', 'jsonb', 'text', 'boolean'), ('?&', 'jsonb', 'text[]', 'boolean'), ('?|', 'jsonb', 'text[]', 'boolean'),
    ('<@', 'text[]', 'text[]', 'boolean'), ('@>', 'text[]', 'text[]', 'boolean'), ('@>', 'jsonb', 'jsonb', 'boolean'),
    ('->', 'jsonb', 'text', 'jsonb'), ('->>', 'jsonb', 'text', 'text'), ('#>>', 'jsonb', 'text[]', 'text'),
    ('-', 'jsonb', 'text', 'jsonb'),
    ('<', 'integer', 'integer', 'boolean'), ('>', 'integer', 'integer', 'boolean'),
    ('<=', 'integer', 'integer', 'boolean'), ('>=', 'integer', 'integer', 'boolean'),
    ('<', 'bigint', 'bigint', 'boolean'), ('>', 'bigint', 'integer', 'boolean'),
    ('+', 'integer', 'integer', 'integer'), ('-', 'integer', 'integer', 'integer'),
    ('+', 'bigint', 'integer', 'bigint'),
    ('<', 'timestamptz', 'timestamptz', 'boolean'), ('<=', 'timestamptz', 'timestamptz', 'boolean'),
    ('+', 'timestamptz', 'interval', 'timestamptz'), ('-', 'timestamptz', 'interval', 'timestamptz'),
    ('<', 'interval', 'interval', 'boolean'), ('<=', 'interval', 'interval', 'boolean'),
    ('*', 'double precision', 'double precision', 'double precision'),
    ('~', 'text', 'text', 'boolean')
  ) AS v(op, l, r, result)
  LOOP
    i := i + 1;
    EXECUTE format($f$CREATE FUNCTION public.shadow_op_%s(a %s, b %s) RETURNS %s LANGUAGE plpgsql
                      SET search_path = pg_catalog, pg_temp AS $b$
                      BEGIN PERFORM public.shadow_hit(%L); RETURN a OPERATOR(pg_catalog.%s) b; END $b$$f$,
                   i, o.l, o.r, o.result, format('%s %s %s', o.l, o.op, o.r), o.op);
    EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.shadow_op_%s)',
                   o.op, o.l, o.r, i);
  END LOOP;
END $do$;
