-- Validation of ingest's admin-editable rules and texts (categories, urgency, automatic answers).
-- See docs/ingest.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- Every rule table's pattern is a PostgreSQL regular expression matched case-insensitively
-- against the message's subject and text. A bad rule is refused here, with what is wrong.
CREATE OR REPLACE FUNCTION validate_text_rule() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.language IS NULL OR NEW.language !~ '^(\*|[a-z]{2,3})$' THEN
        RAISE EXCEPTION '%: language must be an ISO 639 code such as en, uk or zh, or * for every language; got %',
            TG_TABLE_NAME, coalesce(quote_literal(NEW.language), 'null') USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.weight IS NULL OR NEW.weight <= 0 THEN
        RAISE EXCEPTION '%: weight must be greater than 0; got %', TG_TABLE_NAME, coalesce(NEW.weight::text, 'null')
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.pattern IS NULL OR btrim(NEW.pattern) = '' THEN
        RAISE EXCEPTION '%: the pattern is empty', TG_TABLE_NAME USING ERRCODE = 'check_violation';
    END IF;
    BEGIN
        PERFORM '' ~* NEW.pattern;
    EXCEPTION WHEN invalid_regular_expression THEN
        RAISE EXCEPTION '%: the pattern % is not a valid regular expression: %', TG_TABLE_NAME, quote_literal(NEW.pattern), SQLERRM
            USING ERRCODE = 'invalid_regular_expression',
                  HINT = 'Patterns are PostgreSQL regular expressions, matched case-insensitively; \m and \M mark the start and end of a word.';
    END;
    IF '' ~* NEW.pattern THEN
        RAISE EXCEPTION '%: the pattern % matches empty text, so it would match every message', TG_TABLE_NAME, quote_literal(NEW.pattern)
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER category_rules_valid BEFORE INSERT OR UPDATE ON category_rules
    FOR EACH ROW EXECUTE FUNCTION validate_text_rule();

CREATE OR REPLACE TRIGGER urgency_rules_valid BEFORE INSERT OR UPDATE ON urgency_rules
    FOR EACH ROW EXECUTE FUNCTION validate_text_rule();

CREATE OR REPLACE TRIGGER auto_answer_rules_valid BEFORE INSERT OR UPDATE ON auto_answer_rules
    FOR EACH ROW EXECUTE FUNCTION validate_text_rule();

CREATE OR REPLACE FUNCTION validate_locale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.locale IS NULL OR NEW.locale !~ '^[a-z]{2,3}$' THEN
        RAISE EXCEPTION '%: locale must be an ISO 639 code such as en, uk or zh; got %', TG_TABLE_NAME, coalesce(quote_literal(NEW.locale), 'null')
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER auto_answer_templates_valid BEFORE INSERT OR UPDATE ON auto_answer_templates
    FOR EACH ROW EXECUTE FUNCTION validate_locale();

CREATE OR REPLACE TRIGGER policy_texts_valid BEFORE INSERT OR UPDATE ON policy_texts
    FOR EACH ROW EXECUTE FUNCTION validate_locale();

CREATE OR REPLACE TRIGGER order_status_labels_valid BEFORE INSERT OR UPDATE ON order_status_labels
    FOR EACH ROW EXECUTE FUNCTION validate_locale();
