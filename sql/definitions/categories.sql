-- Categories that learn: agents' corrections become labelled examples (docs/ingest.md,
-- "Categories").

-- An agent (p_agent_id, or the system when null) sets conversation p_conversation_id's category
-- to p_category, or clears it with null. The customer's words in the conversation (its subject
-- and its first inbound messages) become a labelled example for the next training, replacing
-- the one an earlier correction of the same conversation made. Audited.
CREATE OR REPLACE FUNCTION set_conversation_category(p_conversation_id bigint, p_category text, p_agent_id bigint DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_conv conversations := desk_conversation(p_conversation_id);
    v_text text;
BEGIN
    IF p_agent_id IS NOT NULL THEN PERFORM desk_agent(p_agent_id); END IF;
    IF p_category IS NOT NULL AND NOT EXISTS (SELECT 1 FROM categories WHERE name = p_category) THEN
        RAISE EXCEPTION 'no category %', p_category USING ERRCODE = 'invalid_parameter_value',
            HINT = format('the categories are: %s', (SELECT string_agg(name, ', ' ORDER BY name) FROM categories));
    END IF;
    UPDATE conversations
       SET category = p_category, category_score = NULL, category_decided_by = CASE WHEN p_category IS NOT NULL THEN 'agent' END,
           category_rule_ids = NULL, category_model_version = NULL, category_probability = NULL, updated_at = now()
     WHERE id = v_conv.id;
    INSERT INTO audit_events (kind, actor_kind, actor_id, customer_id, conversation_id, detail)
    VALUES ('category_set', CASE WHEN p_agent_id IS NULL THEN 'system' ELSE 'agent' END, p_agent_id, v_conv.customer_id, v_conv.id,
            jsonb_build_object('from', v_conv.category, 'to', p_category));
    IF p_category IS NULL THEN
        DELETE FROM category_examples WHERE conversation_id = v_conv.id;
        RETURN;
    END IF;
    SELECT left(concat_ws(E'\n', v_conv.subject, string_agg(t.body, E'\n' ORDER BY t.id)), 4000) INTO v_text
      FROM (SELECT m.id, m.body_text AS body FROM messages m
             WHERE m.conversation_id = v_conv.id AND m.direction = 'inbound' AND m.body_text IS NOT NULL
             ORDER BY m.id LIMIT 3) t;
    IF v_text IS NULL OR btrim(v_text) = '' THEN
        RETURN;  -- nothing the customer wrote to learn from
    END IF;
    INSERT INTO category_examples (category, language, text, source, conversation_id, agent_id)
    VALUES (p_category, v_conv.language, v_text, 'agent', v_conv.id, p_agent_id)
    ON CONFLICT (conversation_id) DO UPDATE
       SET category = excluded.category, language = excluded.language, text = excluded.text,
           agent_id = excluded.agent_id, updated_at = now();
END $$;

-- A fingerprint of the labelled examples (ids, categories, languages and texts). A model version
-- records the one it was trained on; the scheduled retraining skips while it is unchanged.
CREATE OR REPLACE FUNCTION category_examples_digest() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT md5(coalesce(string_agg(concat_ws(':', e.id, e.category, e.language, md5(e.text)), ',' ORDER BY e.id), ''))
      FROM category_examples e
$$;

-- A new model version is announced on switchboard_category_models (its version as payload):
-- ingest workers listening there load it with their next message instead of at their next look.
CREATE OR REPLACE FUNCTION category_models_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('switchboard_category_models', NEW.version::text);
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER category_models_announce AFTER INSERT ON category_models
    FOR EACH ROW EXECUTE FUNCTION category_models_announce();
