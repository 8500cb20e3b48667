-- Agents' skills and per-channel capacity: validation and the derived skill sets.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

CREATE OR REPLACE FUNCTION validate_agent_skill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'language' THEN
        PERFORM routing_require(NEW.value ~ '^[a-z]{2,3}$',
            format('agent_skills: language %L is not an ISO 639 code such as en, uk or zh', NEW.value));
    ELSIF NEW.kind = 'category' THEN
        PERFORM routing_require(EXISTS (SELECT 1 FROM categories WHERE name = NEW.value),
            format('agent_skills: unknown category %L; categories are %s', NEW.value,
                   (SELECT string_agg(name, ', ' ORDER BY name) FROM categories)));
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER agent_skills_valid BEFORE INSERT OR UPDATE ON agent_skills
    FOR EACH ROW EXECUTE FUNCTION validate_agent_skill();

CREATE OR REPLACE FUNCTION agent_skill_sets_refresh(p_agent_ids bigint[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM agent_skill_sets WHERE agent_id = ANY (p_agent_ids);
    INSERT INTO agent_skill_sets (agent_id, languages, language_levels, categories, category_levels)
    SELECT k.agent_id,
           coalesce(array_agg(k.value ORDER BY k.value) FILTER (WHERE k.kind = 'language'), '{}'),
           coalesce(array_agg(k.level ORDER BY k.value) FILTER (WHERE k.kind = 'language'), '{}'),
           coalesce(array_agg(k.value ORDER BY k.value) FILTER (WHERE k.kind = 'category'), '{}'),
           coalesce(array_agg(k.level ORDER BY k.value) FILTER (WHERE k.kind = 'category'), '{}')
      FROM agent_skills k
     WHERE k.agent_id = ANY (p_agent_ids) AND EXISTS (SELECT 1 FROM agents a WHERE a.id = k.agent_id)
     GROUP BY k.agent_id;
$$;

CREATE OR REPLACE FUNCTION agent_skills_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM agent_skill_sets_refresh(ARRAY(SELECT DISTINCT agent_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM agent_skill_sets_refresh(ARRAY(SELECT DISTINCT agent_id FROM old_rows));
    ELSE
        PERFORM agent_skill_sets_refresh(ARRAY(SELECT agent_id FROM new_rows UNION SELECT agent_id FROM old_rows));
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER agent_skills_sync_insert AFTER INSERT ON agent_skills
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION agent_skills_sync();

CREATE OR REPLACE TRIGGER agent_skills_sync_update AFTER UPDATE ON agent_skills
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION agent_skills_sync();

CREATE OR REPLACE TRIGGER agent_skills_sync_delete AFTER DELETE ON agent_skills
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION agent_skills_sync();

-- A new capacity row counts what the agent already carries on the channel.
CREATE OR REPLACE FUNCTION agent_capacity_count_live() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.live := (SELECT count(*) FROM conversations
                  WHERE agent_id = NEW.agent_id AND channel = NEW.channel AND status IN ('open', 'pending'));
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER agent_capacity_count BEFORE INSERT ON agent_capacity
    FOR EACH ROW EXECUTE FUNCTION agent_capacity_count_live();
