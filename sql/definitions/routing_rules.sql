-- Routing rules: validation, and which rule and plan apply to a conversation. See docs/routing.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- Raises a check_violation naming the table when `p_ok` is false.
CREATE OR REPLACE FUNCTION routing_require(p_ok boolean, p_message text, p_hint text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_ok IS NOT TRUE AND p_hint IS NULL THEN
        RAISE EXCEPTION '%', p_message USING ERRCODE = 'check_violation';
    ELSIF p_ok IS NOT TRUE THEN
        RAISE EXCEPTION '%', p_message USING ERRCODE = 'check_violation', HINT = p_hint;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION validate_routing_rule() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_bad  text;
    v_rule text := format('routing rule %L', NEW.name);
BEGIN
    PERFORM routing_require(NEW.strategy = ANY (routing_strategies()),
        format('%s: unknown strategy %L; strategies are %s', v_rule, NEW.strategy, array_to_string(routing_strategies(), ', ')));
    PERFORM routing_require(NEW.priority IS NULL OR NEW.priority BETWEEN 1 AND 4,
        format('%s: priority must be 1 (urgent) to 4 (low), or null to keep the conversation''s; got %s', v_rule, NEW.priority));
    SELECT x INTO v_bad FROM unnest(NEW.channels) x WHERE x IS NULL OR NOT x = ANY (routing_channels()) LIMIT 1;
    PERFORM routing_require(NOT FOUND, format('%s: unknown channel %L; channels are %s', v_rule, v_bad,
                                              array_to_string(routing_channels(), ', ')));
    SELECT x INTO v_bad FROM unnest(NEW.categories) x
     WHERE x IS NULL OR NOT EXISTS (SELECT 1 FROM categories c WHERE c.name = x) LIMIT 1;
    PERFORM routing_require(NOT FOUND, format('%s: unknown category %L; categories are %s', v_rule, v_bad,
                                              (SELECT string_agg(name, ', ' ORDER BY name) FROM categories)));
    SELECT x INTO v_bad FROM unnest(NEW.languages) x WHERE x IS NULL OR x !~ '^([a-z]{2,3}|unknown)$' LIMIT 1;
    PERFORM routing_require(NOT FOUND, format('%s: language %L is not an ISO 639 code such as en, uk or zh (or unknown)', v_rule, v_bad));
    SELECT x INTO v_bad FROM unnest(NEW.tiers) x WHERE x IS NULL OR x !~ '^[a-z][a-z0-9_]*$' LIMIT 1;
    PERFORM routing_require(NOT FOUND, format('%s: tier %L is not a tier name such as vip or standard', v_rule, v_bad));
    IF NEW.keyword_pattern IS NOT NULL THEN
        PERFORM routing_require(btrim(NEW.keyword_pattern) <> '', format('%s: keyword_pattern is empty; use null to match any text', v_rule));
        BEGIN
            PERFORM '' ~* NEW.keyword_pattern;
        EXCEPTION WHEN invalid_regular_expression THEN
            RAISE EXCEPTION '%: keyword_pattern % is not a valid regular expression: %', v_rule, quote_literal(NEW.keyword_pattern), SQLERRM
                USING ERRCODE = 'invalid_regular_expression',
                      HINT = 'Patterns are PostgreSQL regular expressions, matched case-insensitively; \m and \M mark the start and end of a word.';
        END;
    END IF;
    PERFORM routing_require(NEW.hours IN ('any', 'open', 'closed'),
        format('%s: hours must be any, open or closed; got %L', v_rule, NEW.hours));
    PERFORM routing_require((NEW.hours = 'any') = (NEW.calendar_id IS NULL),
        format('%s: hours %L needs a calendar_id exactly when it is not ''any''', v_rule, NEW.hours));
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER routing_rules_valid BEFORE INSERT OR UPDATE ON routing_rules
    FOR EACH ROW EXECUTE FUNCTION validate_routing_rule();

-- The first enabled rule that matches conversation p_conv, or the default; p_enable and
-- p_disable override rules' enabled flags, for dry runs.
CREATE OR REPLACE FUNCTION routing_match(p_conv conversations, p_enable bigint[] DEFAULT '{}', p_disable bigint[] DEFAULT '{}')
RETURNS routing_plan LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_rule     routing_rules;
    v_settings routing_settings;
    v_plan     routing_plan;
BEGIN
    -- The customer's tier, the order's total and the latest message's text are read once each,
    -- and only when a rule needs them.
    SELECT r.* INTO v_rule FROM routing_rules r
     WHERE ((r.enabled AND NOT r.id = ANY (p_disable)) OR r.id = ANY (p_enable))
       AND (r.store_id IS NULL OR r.store_id = p_conv.store_id)
       AND (cardinality(r.channels) = 0 OR p_conv.channel = ANY (r.channels))
       AND (cardinality(r.categories) = 0 OR p_conv.category = ANY (r.categories))
       AND (cardinality(r.languages) = 0 OR p_conv.language = ANY (r.languages))
       AND (cardinality(r.tiers) = 0 OR (SELECT tier FROM customers WHERE id = p_conv.customer_id) = ANY (r.tiers))
       AND (r.min_order_value IS NULL OR (SELECT total FROM orders WHERE id = p_conv.order_id) >= r.min_order_value)
       AND (r.keyword_pattern IS NULL
            OR coalesce((SELECT coalesce(p_conv.subject || E'\n', '') || m.body_text
                           FROM messages m WHERE m.conversation_id = p_conv.id AND m.direction = 'inbound'
                          ORDER BY m.id DESC LIMIT 1), p_conv.subject, '') ~* r.keyword_pattern)
       AND (r.hours = 'any' OR business_open(r.calendar_id, now()) = (r.hours = 'open'))
     ORDER BY r.position
     LIMIT 1;
    IF FOUND THEN
        v_plan := ROW(v_rule.id, v_rule.name, v_rule.team_id,
                      least(p_conv.priority, coalesce(v_rule.priority, p_conv.priority)),
                      v_rule.strategy, v_rule.sla_policy_id, v_rule.require_language, v_rule.require_skill);
    ELSE
        SELECT * INTO v_settings FROM routing_settings;
        v_plan := ROW(NULL, 'default', v_settings.default_team_id, p_conv.priority, v_settings.default_strategy,
                      v_settings.default_sla_policy_id, v_settings.require_language, v_settings.require_skill);
    END IF;
    RETURN v_plan;
END $$;

-- The plan a routed (or transferred) conversation already carries: its team, rule, strategy and
-- SLA policy, with the rule's or the default's eligibility settings. Offers from the team queue
-- and routing within a pinned team work from it.
CREATE OR REPLACE FUNCTION routing_plan_of(p_conv conversations) RETURNS routing_plan LANGUAGE sql STABLE AS $$
    SELECT ROW(p_conv.routing_rule_id, coalesce(r.name, CASE WHEN p_conv.team_pinned THEN 'transfer' ELSE 'default' END),
               p_conv.team_id, p_conv.priority, coalesce(p_conv.routing_strategy, t.default_strategy), p_conv.sla_policy_id,
               coalesce(r.require_language, s.require_language), coalesce(r.require_skill, s.require_skill))::routing_plan
      FROM teams t CROSS JOIN routing_settings s LEFT JOIN routing_rules r ON r.id = p_conv.routing_rule_id
     WHERE t.id = p_conv.team_id
$$;

-- The plan conversation p_conv is routed by: the one it carries when its team is pinned (a
-- transfer), else the first matching rule's; the SLA policy it had stays when the plan names none.
CREATE OR REPLACE FUNCTION routing_plan_for(p_conv conversations) RETURNS routing_plan LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_plan routing_plan;
BEGIN
    IF p_conv.team_pinned AND p_conv.team_id IS NOT NULL THEN
        v_plan := routing_plan_of(p_conv);
    ELSE
        v_plan := routing_match(p_conv);
    END IF;
    v_plan.sla_policy_id := coalesce(v_plan.sla_policy_id, p_conv.sla_policy_id);
    RETURN v_plan;
END $$;
